import DBusKit

/// `org.ganesha.nfsd.admin` and the log levels on the admin object.
extension GaneshaClient {
    /// Whether Ganesha is in its grace period (`admin.get_grace`).
    public func grace() async throws(GaneshaError) -> GraceStatus {
        let method = "admin.get_grace"
        let reply = try await call(.admin, "get_grace")
        let message = try Self.trailingStatus(of: reply, method: method)
        return GraceStatus(inGrace: try GaneshaReply(method: method, reply: reply).decode(0, \.bool), message: message)
    }

    /// Starts a grace period (`admin.grace` with `"event:address"`) and returns Ganesha's
    /// answer, "Started grace period".
    ///
    /// Event 0 only enters grace; the other numbers take over another node's clients and
    /// differ between releases (4.3: 1 clear blocked locks, 2 release an address, 3 update
    /// clients, 4 take a node id, 5 take an address). Ganesha accepts any text here.
    public func startGrace(event: Int = 0, address: String = "") async throws(GaneshaError) -> String {
        let reply = try await call(.admin, "grace", [.string("\(event):\(address)")])
        return try Self.trailingStatus(of: reply, method: "admin.grace")
    }

    /// Asks Ganesha to shut down in order, like SIGTERM; it exits shortly after answering.
    public func shutdown() async throws(GaneshaError) {
        let reply: DBusReply
        do {
            reply = try await call(.admin, "shutdown")
        } catch .rejected(_, DBusError.Name.noReply, _) {
            // Ganesha left the bus before its answer went out: it is shutting down, as asked.
            return
        }
        _ = try Self.trailingStatus(of: reply, method: "admin.shutdown")
    }

    /// Empties one of Ganesha's caches and returns its answer, e.g. "Purge gids cache".
    public func purge(_ cache: GaneshaCache) async throws(GaneshaError) -> String {
        let reply = try await call(.admin, cache.rawValue)
        return try Self.trailingStatus(of: reply, method: "admin.\(cache.rawValue)")
    }

    /// The live log level of `component`.
    public func logLevel(of component: GaneshaLogComponent) async throws(GaneshaError) -> GaneshaLogLevel {
        let reply = try await call(.logComponents, "Get", [.string(Self.logInterface), .string(component.rawValue)])
        let level = try GaneshaReply(method: "log.component.Get", reply: reply).decode(0) { $0.variantValue?.string }
        return GaneshaLogLevel(rawValue: level)
    }

    /// Changes the log level of `component` at once; Ganesha's config is not rewritten, so a
    /// restart brings back the configured level.
    public func setLogLevel(_ level: GaneshaLogLevel, for component: GaneshaLogComponent) async throws(GaneshaError) {
        let arguments: [DBusArgument] = [.string(Self.logInterface), .string(component.rawValue), .variant(.string(level.rawValue))]
        do {
            _ = try await call(.logComponents, "Set", arguments)
        } catch .rejected(let method, let name, let message) where message == "Set" {
            // 4.3 refuses an unknown level with the error name "org.freedesktop.DBus.Properties" and
            // the text "Set", which tells the operator nothing: say what was refused.
            throw .rejected(method: method, name: name, message: "Ganesha refused level \(level) for \(component)")
        }
    }

    private static let logInterface = "org.ganesha.nfsd.log.component"
}
