/// A Ganesha log component, spelled as its D-Bus property is named (`COMPONENT_…`).
public struct GaneshaLogComponent: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    /// Setting this sets every component; reading it answers `NIV_NULL`.
    public static let all = GaneshaLogComponent(rawValue: "COMPONENT_ALL")
    /// The RPC layer, which logs every client disconnect at WARN.
    public static let tirpc = GaneshaLogComponent(rawValue: "COMPONENT_TIRPC")
    public static let dbus = GaneshaLogComponent(rawValue: "COMPONENT_DBUS")
    public static let export = GaneshaLogComponent(rawValue: "COMPONENT_EXPORT")
    public static let clientID = GaneshaLogComponent(rawValue: "COMPONENT_CLIENTID")
    public static let state = GaneshaLogComponent(rawValue: "COMPONENT_STATE")
    public static let nfsV4 = GaneshaLogComponent(rawValue: "COMPONENT_NFS_V4")
    public static let fsal = GaneshaLogComponent(rawValue: "COMPONENT_FSAL")
}
