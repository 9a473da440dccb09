import ChildProcesses
import Logging
import Recovery

/// How Ganesha's own log lines are logged again by share-manager. The level comes only from
/// the level field of the line's header (`GaneshaLogLine` never fills it from the message,
/// where a client's text can stand); a line without a whole header is logged at info.
///
/// | Ganesha            | swift-log  |
/// |--------------------|------------|
/// | FATAL, CRIT        | critical   |
/// | MAJ                | error      |
/// | WARN               | warning    |
/// | EVENT, INFO, NULL  | info       |
/// | DEBUG              | debug      |
/// | M_DBG, F_DBG       | trace      |
///
/// EVENT is info, not notice: Ganesha logs some thirty EVENT lines at every start.
enum GaneshaLogLevels {
    static func level(of line: GaneshaLogLine) -> Logger.Level {
        switch line.level {
        case "FATAL", "CRIT": .critical
        case "MAJ": .error
        case "WARN": .warning
        case "DEBUG": .debug
        case "M_DBG", "F_DBG": .trace
        default: .info
        }
    }

    /// The level and fields to log `line` with: its own level unless `KnownGaneshaLines`
    /// lists it as harmless here.
    static func relayed(_ line: GaneshaLogLine) -> ChildLine {
        var metadata = line.metadata
        guard let known = KnownGaneshaLines.match(line) else { return ChildLine(level: level(of: line), metadata: metadata) }
        metadata["knownHarmless"] = "\(known.why)"
        return ChildLine(level: known.loggedAt, metadata: metadata)
    }
}
