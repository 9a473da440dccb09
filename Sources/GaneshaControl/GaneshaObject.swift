/// The Ganesha D-Bus objects this client talks to.
enum GaneshaObject {
    case admin
    case exportManager

    var path: String {
        switch self {
        case .admin: "/org/ganesha/nfsd/admin"
        case .exportManager: "/org/ganesha/nfsd/ExportMgr"
        }
    }

    var interface: String {
        switch self {
        case .admin: "org.ganesha.nfsd.admin"
        case .exportManager: "org.ganesha.nfsd.exportmgr"
        }
    }

    /// How errors name the interface: the part after `org.ganesha.nfsd.`.
    var shortName: String {
        switch self {
        case .admin: "admin"
        case .exportManager: "exportmgr"
        }
    }
}
