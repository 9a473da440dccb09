/// A Ganesha log level, spelled as its D-Bus properties carry it (`NIV_…`).
public struct GaneshaLogLevel: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static let null = GaneshaLogLevel(rawValue: "NIV_NULL")
    public static let fatal = GaneshaLogLevel(rawValue: "NIV_FATAL")
    public static let major = GaneshaLogLevel(rawValue: "NIV_MAJ")
    public static let critical = GaneshaLogLevel(rawValue: "NIV_CRIT")
    public static let warning = GaneshaLogLevel(rawValue: "NIV_WARN")
    public static let event = GaneshaLogLevel(rawValue: "NIV_EVENT")
    public static let info = GaneshaLogLevel(rawValue: "NIV_INFO")
    public static let debug = GaneshaLogLevel(rawValue: "NIV_DEBUG")
    public static let midDebug = GaneshaLogLevel(rawValue: "NIV_MID_DEBUG")
    public static let fullDebug = GaneshaLogLevel(rawValue: "NIV_FULL_DEBUG")
}
