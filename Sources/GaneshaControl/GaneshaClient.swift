import DBusKit

/// Ganesha's D-Bus API (4.x), typed: exports, admin, clients, statistics and heartbeats.
///
/// Replies are decoded by the signature they carry, not by Ganesha's introspection data,
/// which is wrong for some methods (e.g. `GetGlobalOPS`, `StatusStats`). Every call fails
/// with ``GaneshaError/timedOut(method:)`` after ``callTimeout``.
public struct GaneshaClient: Sendable {
    /// The bus connection the calls go through.
    public let connection: DBusConnection
    /// Ganesha's bus name; `X.org.ganesha.nfsd` when it runs with `Dbus_Name_Prefix = X`.
    public let busName: String
    /// How long each call may take before it fails with ``GaneshaError/timedOut(method:)``.
    public let callTimeout: Duration

    public init(connection: DBusConnection, busName: String = "org.ganesha.nfsd", callTimeout: Duration = .seconds(5)) {
        self.connection = connection
        self.busName = busName
        self.callTimeout = callTimeout
    }

    /// Whether Ganesha owns its bus name, i.e. has started its D-Bus service.
    public func isRegistered() async throws(GaneshaError) -> Bool {
        do {
            return try await connection.nameHasOwner(busName, timeout: callTimeout)
        } catch {
            throw GaneshaError(error, method: "NameHasOwner")
        }
    }

    /// Calls `method` on `object`; transport and D-Bus errors become ``GaneshaError``.
    func call(
        _ object: GaneshaObject, _ method: String, _ arguments: [DBusArgument] = []
    ) async throws(GaneshaError) -> DBusReply {
        do {
            return try await connection.call(
                destination: busName, path: object.path, interface: object.interface, method: method,
                arguments: arguments, timeout: callTimeout)
        } catch {
            throw GaneshaError(error, method: "\(object.shortName).\(method)")
        }
    }

    /// Calls a method whose reply starts with Ganesha's in-band status `b success, s message`
    /// (the statistics methods); returns the values after it.
    ///
    /// A false flag is a refusal, whatever follows: 4.3 then sends only `bs`.
    func callReportingStatus(
        _ object: GaneshaObject, _ method: String, _ arguments: [DBusArgument] = []
    ) async throws(GaneshaError) -> GaneshaReply {
        let reply = try await call(object, method, arguments)
        let name = "\(object.shortName).\(method)"
        let values = reply.values
        guard values.count >= 2, let success = values[0].bool, let message = values[1].string else {
            throw .unexpectedReply(method: name, signature: reply.signature)
        }
        guard success else { throw .rejected(method: name, name: GaneshaError.inBandFailure, message: message) }
        return GaneshaReply(method: name, signature: reply.signature, values: Array(values.dropFirst(2)))
    }

    /// Ganesha's admin methods end with `b success, s message`; a false flag is a refusal.
    static func trailingStatus(of reply: DBusReply, method: String) throws(GaneshaError) -> String {
        let values = reply.values
        guard values.count >= 2,
              let success = values[values.count - 2].bool,
              let message = values[values.count - 1].string
        else { throw .unexpectedReply(method: method, signature: reply.signature) }
        guard success else { throw .rejected(method: method, name: GaneshaError.inBandFailure, message: message) }
        return message
    }
}
