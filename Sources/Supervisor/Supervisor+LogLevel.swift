import GaneshaControl
import Logging
import ShareLogging
import SupervisorInterface

extension Supervisor {
    /// Changes share-manager's level, Ganesha's, or both. Ganesha's goes back to the
    /// configured one when Ganesha restarts.
    public func setLogLevel(_ request: ControlMessage.LogLevel) async throws(ControlError) -> ControlMessage.Result {
        guard request.shareManager != nil || request.ganesha != nil else {
            throw .badValue("give shareManager, ganesha, or both")
        }
        var own: Logger.Level?
        if let name = request.shareManager {
            guard let level = Logger.Level(rawValue: name) else {
                throw .badValue("shareManager: \(LogLevelNames.shown(name)) is not one of trace, debug, info, notice, warning, error, critical")
            }
            own = level
        }
        guard request.component == nil || request.ganesha != nil else {
            throw .badValue("component is only used with ganesha")
        }
        var done: [String] = []
        if let name = request.ganesha {
            let level = try LogLevelNames.ganeshaLevel(name)
            let component = try LogLevelNames.ganeshaComponent(request.component ?? GaneshaLogComponent.all.rawValue)
            guard let client = liveClient(timeout: .seconds(2)) else { throw .notReady("Ganesha is not running") }
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
}

/// The names the control API accepts for log levels, checked before anything changes.
enum LogLevelNames {
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
