import DBusKit

/// Why a Ganesha request failed, phrased so the operator knows what to do next.
public enum GaneshaError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Nobody owns Ganesha's bus name: it is not running, still starting, or running
    /// without D-Bus.
    case notRegistered
    /// Ganesha did not answer `method` within the call timeout.
    case timedOut(method: String)
    /// Ganesha (or the bus) refused `method` with a D-Bus error, e.g. "already active", or
    /// with its in-band `b false, s message` reply, which has the name ``inBandFailure``
    /// (e.g. "Export id not found" from a statistics method).
    case rejected(method: String, name: String, message: String)
    /// The reply to `method` had a shape this client does not understand.
    case unexpectedReply(method: String, signature: String)
    /// The connection to the bus is gone; the text says what libdbus reported.
    case disconnected(String)

    /// The name a ``rejected(method:name:message:)`` carries when Ganesha answered
    /// `b false, s message` rather than with a D-Bus error.
    public static let inBandFailure = "org.ganesha.nfsd.Failed"

    public var description: String {
        switch self {
        case .notRegistered:
            "Ganesha is not on the D-Bus bus: it is not running, still starting, or could not own its "
                + "bus name (look for \"server bus reg failed\" in its log); start it or wait for it"
        case .timedOut(let method):
            "Ganesha did not answer \(method) in time: it is hung or overloaded; check its log and restart it "
                + "if it stays silent"
        case .rejected(let method, let name, let message):
            "Ganesha refused \(method): \(Self.oneLine(message)) (\(name)); fix the request and retry"
        case .unexpectedReply(let method, let signature):
            "Ganesha answered \(method) with signature \"\(signature)\", which share-manager does not understand: "
                + "check that the installed Ganesha is version 4.x"
        case .disconnected(let detail):
            "lost the D-Bus connection (\(Self.oneLine(detail))): the bus daemon is gone, and Ganesha with it; "
                + "restart both and reconnect"
        }
    }

    /// Classifies a transport-level failure of `method`.
    init(_ error: DBusError, method: String) {
        switch error.name {
        case DBusError.Name.timeout:
            self = .timedOut(method: method)
        case DBusError.Name.disconnected, "org.freedesktop.DBus.Error.Disconnected":
            self = .disconnected(error.message)
        case DBusError.Name.serviceUnknown, "org.freedesktop.DBus.Error.NameHasNoOwner":
            self = .notRegistered
        case DBusError.Name.badReply:
            self = .unexpectedReply(method: method, signature: "undecodable: \(error.message)")
        default:
            self = .rejected(method: method, name: error.name, message: error.message)
        }
    }

    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " / ")
    }
}
