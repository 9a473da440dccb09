/// The Ganesha D-Bus interfaces this client calls, each on the object that carries it.
enum GaneshaObject {
    case admin
    /// Log levels, read and set through `org.freedesktop.DBus.Properties` on the admin object.
    case logComponents
    case exportManager
    case exportStatistics
    case clientManager
    case clientStatistics

    var path: String {
        switch self {
        case .admin, .logComponents: "/org/ganesha/nfsd/admin"
        case .exportManager, .exportStatistics: "/org/ganesha/nfsd/ExportMgr"
        case .clientManager, .clientStatistics: "/org/ganesha/nfsd/ClientMgr"
        }
    }

    var interface: String {
        switch self {
        case .admin: "org.ganesha.nfsd.admin"
        case .logComponents: "org.freedesktop.DBus.Properties"
        case .exportManager: "org.ganesha.nfsd.exportmgr"
        case .exportStatistics: "org.ganesha.nfsd.exportstats"
        case .clientManager: "org.ganesha.nfsd.clientmgr"
        case .clientStatistics: "org.ganesha.nfsd.clientstats"
        }
    }

    /// How errors name the interface: the part after `org.ganesha.nfsd.`.
    var shortName: String {
        switch self {
        case .admin: "admin"
        case .logComponents: "log.component"
        case .exportManager: "exportmgr"
        case .exportStatistics: "exportstats"
        case .clientManager: "clientmgr"
        case .clientStatistics: "clientstats"
        }
    }
}
