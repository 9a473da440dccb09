internal import CDBus

/// A failed D-Bus operation: the D-Bus error name and the text that came with it.
///
/// Errors the peer sent keep the peer's name (`org.freedesktop.DBus.Error.UnknownMethod`,
/// `org.freedesktop.DBus.Error.InvalidArgs`, …); failures found on our side use the names
/// in ``DBusError/Name`` so a caller can tell "no answer in time" from "the bus is gone".
public struct DBusError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The D-Bus error name, e.g. `org.freedesktop.DBus.Error.NoReply` or `share_manager.Timeout`.
    public let name: String
    /// The human-readable text that came with the error.
    public let message: String

    /// Creates an error with a D-Bus error name and a message.
    public init(name: String, message: String) {
        self.name = name
        self.message = message
    }

    /// One line for the operator: the message, then the name that classifies it.
    public var description: String {
        let text = message.split(whereSeparator: \.isNewline).joined(separator: " / ")
        return "D-Bus error \(name): \(text.isEmpty ? "(no message)" : text)"
    }

    /// Error names this module produces itself, plus the standard ones callers branch on.
    public enum Name {
        /// No reply arrived within the call's timeout.
        public static let timeout = "share_manager.Timeout"
        /// The connection to the bus is closed or was lost: reconnect.
        public static let disconnected = "share_manager.Disconnected"
        /// The reply could not be decoded (an unexpected type or an invalid message).
        public static let badReply = "share_manager.BadReply"
        /// The request could not be built from the given arguments (invalid name, path or string).
        public static let invalidRequest = "share_manager.InvalidRequest"
        /// The bus has no owner for the destination name.
        public static let serviceUnknown = "org.freedesktop.DBus.Error.ServiceUnknown"
        /// The server does not implement the method.
        public static let unknownMethod = "org.freedesktop.DBus.Error.UnknownMethod"
        /// The bus policy refused the message.
        public static let accessDenied = "org.freedesktop.DBus.Error.AccessDenied"
        /// libdbus's own "no reply" (a timeout, or the peer left without answering).
        public static let noReply = "org.freedesktop.DBus.Error.NoReply"
    }

    /// True when the call ran out of time.
    public var isTimeout: Bool { name == Name.timeout }

    /// True when the connection is gone and must be opened again.
    public var isDisconnected: Bool { name == Name.disconnected }

    static func timeout(_ message: String) -> DBusError { DBusError(name: Name.timeout, message: message) }
    static func disconnected(_ message: String) -> DBusError { DBusError(name: Name.disconnected, message: message) }
    static func badReply(_ message: String) -> DBusError { DBusError(name: Name.badReply, message: message) }
    static func invalidRequest(_ message: String) -> DBusError { DBusError(name: Name.invalidRequest, message: message) }
}

extension DBusError {
    /// Runs `body` with a fresh libdbus error and returns what it set, if anything.
    ///
    /// The one place that initialises and frees libdbus errors, so none leaks and none is
    /// freed twice.
    static func capturing<T>(_ body: (UnsafeMutablePointer<CDBus.DBusError>) -> T) -> (T, DBusError?) {
        var raw = CDBus.DBusError()
        dbus_error_init(&raw)
        defer { dbus_error_free(&raw) }
        let result = withUnsafeMutablePointer(to: &raw) { body($0) }
        guard dbus_error_is_set(&raw) != 0 else { return (result, nil) }
        let name = raw.name.map { String(cString: $0) } ?? "org.freedesktop.DBus.Error.Failed"
        let message = raw.message.map { String(cString: $0) } ?? ""
        return (result, DBusError(name: name, message: message))
    }
}
