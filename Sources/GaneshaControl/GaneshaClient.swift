import DBusKit

/// Ganesha's D-Bus API (4.x), typed: exports, grace status and shutdown.
///
/// Replies are decoded by the signature they carry, not by Ganesha's introspection data,
/// which is wrong for some methods.
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

    /// Adds the export with `exportID` from the file at `configPath` (a file holding only
    /// EXPORT blocks) and returns Ganesha's answer, e.g. "1 exports added".
    public func addExport(configPath: String, exportID: UInt16) async throws(GaneshaError) -> String {
        let method = "exportmgr.AddExport"
        let selector = "export(export_id=\(exportID))"
        let reply = try await call(.exportManager, "AddExport", [.string(configPath), .string(selector)])
        guard let text = reply.values.first?.string else {
            throw .unexpectedReply(method: method, signature: reply.signature)
        }
        return text
    }

    /// Removes export `id`; clients that still use it get "stale file handle".
    public func removeExport(id: UInt16) async throws(GaneshaError) {
        _ = try await call(.exportManager, "RemoveExport", [.uint16(id)])
    }

    /// The exports Ganesha serves, the pseudo root (id 0) included.
    public func showExports() async throws(GaneshaError) -> [GaneshaExport] {
        let method = "exportmgr.ShowExports"
        let reply = try await call(.exportManager, "ShowExports")
        // The export list is the first array of structures, whatever comes around it.
        guard let entries = reply.values.lazy.compactMap(\.elements).first else {
            throw .unexpectedReply(method: method, signature: reply.signature)
        }
        var exports: [GaneshaExport] = []
        for entry in entries {
            guard let export = GaneshaExport(wire: entry) else {
                throw .unexpectedReply(method: method, signature: reply.signature)
            }
            exports.append(export)
        }
        return exports
    }

    /// Whether Ganesha is in its grace period.
    public func grace() async throws(GaneshaError) -> GraceStatus {
        let method = "admin.get_grace"
        let reply = try await call(.admin, "get_grace")
        let message = try Self.status(of: reply, method: method)
        guard reply.values.count >= 3, let inGrace = reply.values[0].bool else {
            throw .unexpectedReply(method: method, signature: reply.signature)
        }
        return GraceStatus(inGrace: inGrace, message: message)
    }

    /// Asks Ganesha to shut down in order, like SIGTERM; it exits shortly after answering.
    public func shutdown() async throws(GaneshaError) {
        let method = "admin.shutdown"
        let reply: DBusReply
        do {
            reply = try await connection.call(
                destination: busName, path: GaneshaObject.admin.path, interface: GaneshaObject.admin.interface,
                method: "shutdown", timeout: callTimeout)
        } catch {
            // Ganesha left the bus before its answer went out: it is shutting down, as asked.
            if error.name == DBusError.Name.noReply { return }
            throw GaneshaError(error, method: method)
        }
        _ = try Self.status(of: reply, method: method)
    }

    private func call(
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

    /// Ganesha ends many replies with `b success, s message`; a false flag is a refusal.
    private static func status(of reply: DBusReply, method: String) throws(GaneshaError) -> String {
        let values = reply.values
        guard values.count >= 2,
              let success = values[values.count - 2].bool,
              let message = values[values.count - 1].string
        else { throw .unexpectedReply(method: method, signature: reply.signature) }
        guard success else { throw .rejected(method: method, name: "org.ganesha.nfsd.Failed", message: message) }
        return message
    }
}
