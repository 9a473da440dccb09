import GaneshaConfig
import GaneshaControl
import SupervisorInterface

extension Supervisor {
    /// THE path that makes Ganesha's export match the wish (`exportOffline`): at start, after
    /// every restart and on request. Call it only inside `serialized`, so the wish it reads is
    /// the one it applies. Returns what it did, for the caller's message.
    @discardableResult
    func reconcileExport(timeout: Duration) async throws(ControlError) -> ExportChange {
        guard let client = liveClient(timeout: timeout) else { throw .notReady("Ganesha is not running") }
        let id = GaneshaSettings.exportID
        do {
            let listed = try await client.showExports().contains { $0.id == id }
            if exportOffline {
                guard listed else { return .unchanged }
                try await client.removeExport(id: id)
                return .removed
            }
            // The main config includes the export; AddExport is for a Ganesha that lacks it.
            guard !listed else { return .unchanged }
            let reply = try await client.addExport(configPath: layout.exportConfig, exportID: id)
            guard try await client.showExports().contains(where: { $0.id == id }) else {
                throw ControlError.ganesha("AddExport answered '\(reply)' but ShowExports does not list it")
            }
            logger.info("export added", metadata: ["reply": "\(reply)", "pseudo": "/\(options.volume)", "path": "\(options.ganesha.exportPath)"])
            return .added
        } catch let error as ControlError {
            throw error
        } catch {
            throw .ganesha("\(error)")
        }
    }

    enum ExportChange { case unchanged, added, removed }

    /// The export after a (re)start of Ganesha: the wish applies, whoever asked for it when.
    func restoreExport() async throws(ControlError) {
        try await serialized { () async throws(ControlError) in
            let change = try await reconcileExport(timeout: .seconds(5))
            if exportOffline {
                logger.notice("export kept offline, as asked over the control API")
            } else if change == .unchanged {
                logger.info("export active", metadata: ["pseudo": "/\(options.volume)", "path": "\(options.ganesha.exportPath)"])
            }
        }
    }

    /// Takes the share offline without stopping anything (clients with open files get
    /// "stale file handle" until it is back: that is why shutdown never does this), or brings
    /// it back with the same Export_Id and Filesystem_Id, so their file handles are valid again.
    /// A wish Ganesha could not carry out is taken back, so status never claims what is not.
    func changeExport(online: Bool) async throws(ControlError) -> ControlMessage.Result {
        try await serialized { () async throws(ControlError) in
            let before = exportOffline
            exportOffline = !online
            let change: ExportChange
            do throws(ControlError) {
                change = try await reconcileExport(timeout: .seconds(2))
            } catch {
                exportOffline = before
                throw error
            }
            switch (online, change) {
            case (false, .removed):
                logger.warning("export taken offline over the control API: clients get stale file handles until POST /v1/export")
                return .init(ok: true, message: "export /\(options.volume) removed; clients see stale file handles until it is exported again")
            case (false, _):
                return .init(ok: true, message: "the export was not active; it stays offline")
            case (true, .added):
                logger.notice("export back online over the control API")
                return .init(ok: true, message: "export /\(options.volume) active again")
            case (true, _):
                return .init(ok: true, message: "the export is already active")
            }
        }
    }
}
