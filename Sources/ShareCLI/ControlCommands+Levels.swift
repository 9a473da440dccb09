import ArgumentParser
import FoundationEssentials
import SupervisorInterface

/// `share-manager log-level`: POST /v1/log-level, so that nobody needs curl in the image.
public struct LogLevelCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "log-level",
        abstract: "Set share-manager's log level, a Ganesha component's, or both.",
        discussion: "Ganesha's levels go back to the configured ones when Ganesha restarts. Example: share-manager log-level --ganesha DEBUG --component COMPONENT_EXPORT"
    )
    @Argument(help: "share-manager's own level: trace, debug, info, notice, warning, error or critical.")
    var level: String?
    @Option(help: "Ganesha's level: NULL, FATAL, MAJ, CRIT, WARN, EVENT, INFO, DEBUG, MID_DEBUG or FULL_DEBUG.")
    var ganesha: String?
    @Option(help: "The Ganesha log component --ganesha applies to (default COMPONENT_ALL).")
    var component: String?
    @OptionGroup var target: ControlTarget
    @OptionGroup var output: JSONOutput
    public init() {}

    public func validate() throws {
        guard level != nil || ganesha != nil else {
            throw ValidationError("give share-manager's level (share-manager log-level debug), --ganesha LEVEL, or both")
        }
        guard component == nil || ganesha != nil else {
            throw ValidationError("--component needs --ganesha LEVEL")
        }
    }

    public func run() throws {
        let request = ControlMessage.LogLevel(shareManager: level, ganesha: ganesha, component: component)
        // The encoder escapes every value: what was typed stays one JSON string.
        let body = String(decoding: try JSONEncoder().encode(request), as: UTF8.self)
        try target.act("/v1/log-level", body: body, json: output.json)
    }
}

/// `share-manager export`: POST /v1/export, the share back online with the same handles.
public struct ExportCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Add the export back after unexport, with the same Export_Id and Filesystem_Id."
    )
    @OptionGroup var target: ControlTarget
    @OptionGroup var output: JSONOutput
    public init() {}
    public func run() throws { try target.act("/v1/export", json: output.json) }
}

/// `share-manager unexport`: POST /v1/unexport. Never part of a normal stop.
public struct UnexportCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "unexport",
        abstract: "Take the share offline: /readyz turns 503 and mounted clients get ESTALE until `export`.",
        discussion: "Clients that have the volume mounted get \"stale file handle\" for every open file until the export is back. share-manager's own stop never unexports (docs/control-api.md)."
    )
    @OptionGroup var target: ControlTarget
    @OptionGroup var output: JSONOutput
    public init() {}
    public func run() throws { try target.act("/v1/unexport", json: output.json) }
}
