import ShareLogging
import SupervisorInterface
import GaneshaConfig
import GaneshaControl
import Logging

/// Part of the TEMPORARY bridge (see `RuntimeSupervisor`): export on/off and log levels.
extension RuntimeSupervisor {
    func setExport(online: Bool) async throws(ControlError) -> ControlMessage.Result {
        online ? try await export() : try await unexport()
    }

    /// Takes the share offline without stopping anything. Clients with open files get
    /// "stale file handle" (ESTALE) until it is back: that is why shutdown never does this.
    private func unexport() async throws(ControlError) -> ControlMessage.Result {
        guard let client = await ganesha() else { throw .notReady("Ganesha is not running") }
        do {
            let listed = try await client.showExports().contains { $0.id == GaneshaSettings.exportID }
            await state.setExportOffline(true)
            guard listed else { return .init(ok: true, message: "the export was not active; it stays offline") }
            try await client.removeExport(id: GaneshaSettings.exportID)
        } catch {
            throw .ganesha("\(error)")
        }
        logger.warning("export taken offline over the control API: clients get stale file handles until POST /v1/export")
        return .init(ok: true, message: "export /\(options.volume) removed; clients see stale file handles until it is exported again")
    }

    /// Brings the export back with the same Export_Id and Filesystem_Id, so clients' file
    /// handles are valid again.
    private func export() async throws(ControlError) -> ControlMessage.Result {
        guard let client = await ganesha() else { throw .notReady("Ganesha is not running") }
        do {
            if try await client.showExports().contains(where: { $0.id == GaneshaSettings.exportID }) {
                await state.setExportOffline(false)
                return .init(ok: true, message: "the export is already active")
            }
            let reply = try await client.addExport(configPath: layout.exportConfig, exportID: GaneshaSettings.exportID)
            guard try await client.showExports().contains(where: { $0.id == GaneshaSettings.exportID }) else {
                throw ControlError.ganesha("AddExport answered '\(reply)' but the export is not listed")
            }
        } catch let error as ControlError {
            throw error
        } catch {
            throw .ganesha("\(error)")
        }
        await state.setExportOffline(false)
        logger.notice("export back online over the control API")
        return .init(ok: true, message: "export /\(options.volume) active again")
    }

    /// Changes share-manager's level, Ganesha's, or both. Ganesha's goes back to the
    /// configured one when Ganesha restarts.
    func setLogLevel(_ request: ControlMessage.LogLevel) async throws(ControlError) -> ControlMessage.Result {
        guard request.shareManager != nil || request.ganesha != nil else {
            throw .badValue("give shareManager, ganesha, or both")
        }
        var own: Logger.Level?
        if let name = request.shareManager {
            guard let level = Logger.Level(rawValue: name) else {
                throw .badValue("shareManager: \(Self.shown(name)) is not one of trace, debug, info, notice, warning, error, critical")
            }
            own = level
        }
        guard request.component == nil || request.ganesha != nil else {
            throw .badValue("component is only used with ganesha")
        }
        var done: [String] = []
        if let name = request.ganesha {
            let level = try Self.ganeshaLevel(name)
            let component = try Self.ganeshaComponent(request.component ?? GaneshaLogComponent.all.rawValue)
            guard let client = await ganesha() else { throw .notReady("Ganesha is not running") }
            do {
                try await client.setLogLevel(level, for: component)
            } catch {
                throw .ganesha("\(error)")
            }
            done.append("Ganesha \(component) = \(level)")
        }
        if let own {
            ShareLogHandler.level.withLock { $0 = own }
            done.append("share-manager = \(own)")
        }
        logger.notice("log level changed over the control API: \(done.joined(separator: ", "))")
        return .init(ok: true, message: done.joined(separator: ", "))
    }

    static let ganeshaLevels = ["NULL", "FATAL", "MAJ", "CRIT", "WARN", "EVENT", "INFO", "DEBUG", "MID_DEBUG", "FULL_DEBUG"]

    static func ganeshaLevel(_ name: String) throws(ControlError) -> GaneshaLogLevel {
        let bare = name.hasPrefix("NIV_") ? String(name.dropFirst(4)) : name.uppercased()
        guard ganeshaLevels.contains(bare) else {
            throw .badValue("ganesha: \(shown(name)) is not one of \(ganeshaLevels.joined(separator: ", ")) (NIV_ prefix optional)")
        }
        return GaneshaLogLevel(rawValue: "NIV_" + bare)
    }

    /// Ganesha's component names are D-Bus property names: upper-case words only.
    static func ganeshaComponent(_ name: String) throws(ControlError) -> GaneshaLogComponent {
        guard name.utf8.count <= 48, name.hasPrefix("COMPONENT_"),
              name.utf8.dropFirst(10).allSatisfy({ (0x41...0x5A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }),
              name.utf8.count > 10 else {
            throw .badValue("component: \(shown(name)) is not a Ganesha log component (COMPONENT_ALL, COMPONENT_EXPORT, ...)")
        }
        return GaneshaLogComponent(rawValue: name)
    }

    /// A value from the request, cut short and escaped for the one-line answer.
    static func shown(_ value: String) -> String {
        (value.count > 40 ? String(value.prefix(40)) + "…" : value).debugDescription
    }
}
