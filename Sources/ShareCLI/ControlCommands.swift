import ArgumentParser
import FoundationEssentials
import GaneshaConfig
import SupervisorInterface

/// Finds a running share-manager's control socket: the flag, else the volume's state dir.
/// The `SHARE_MANAGER_*` variables count too, so `kubectl exec POD -- share-manager status`
/// works in the Pod without arguments.
public struct ControlTarget: ParsableArguments, Sendable {
    @Option(help: "The control socket (default <state-dir>/control.sock; or SHARE_MANAGER_CONTROL_SOCKET).")
    public var controlSocket: String?

    @Option(help: "The volume's state directory (default /var/run/share-manager/VOLUME; or SHARE_MANAGER_STATE_DIR).")
    public var stateDir: String?

    @Option(help: "The volume whose share-manager to ask (or SHARE_MANAGER_VOLUME).")
    public var volume: String?

    public init() {}

    /// The control commands, for the command tree.
    public static let commands: [any ParsableCommand.Type] = [
        StatusCommand.self, ClientsCommand.self, ResizeCommand.self, TrimCommand.self,
        LogLevelCommand.self, ExportCommand.self, UnexportCommand.self,
    ]

    func socketPath(environment: [String: String] = ProcessInfo.processInfo.environment) throws(GaneshaConfig.ValidationError) -> String {
        if let socket = controlSocket ?? environment["SHARE_MANAGER_CONTROL_SOCKET"] {
            return try SafePath(validating: socket, flag: "control-socket", maxLength: 107).value
        }
        if let dir = stateDir ?? environment["SHARE_MANAGER_STATE_DIR"] {
            return try SafePath(validating: dir, flag: "state-dir", maxLength: 88).appending("control.sock")
        }
        guard let name = volume ?? environment["SHARE_MANAGER_VOLUME"] else {
            throw GaneshaConfig.ValidationError(flag: "volume", reason: "say which share-manager to ask: --volume, --state-dir or --control-socket")
        }
        return "/var/run/share-manager/\(try VolumeName(validating: name))/control.sock"
    }

    /// The answer's JSON body; a refusal becomes a `ControlClient.Failure` (one line, exit 1).
    func send(_ method: String, _ path: String, body: String? = nil) throws -> String {
        let answer = try ControlClient(socketPath: try socketPath()).request(method, path, body: body)
        guard (200..<300).contains(answer.status) else {
            let message = (try? JSONDecoder().decode(ControlMessage.Failure.self, from: Data(answer.body.utf8)))?.error
            throw ControlClient.Failure(description: "HTTP \(answer.status): \(message ?? answer.body)")
        }
        return answer.body
    }

    /// Prints the JSON answer as it came.
    func call(_ method: String, _ path: String, body: String? = nil) throws {
        Self.printJSON(try send(method, path, body: body))
    }

    /// A POST that answers `Result`: its message, or the JSON with `--json`.
    func act(_ path: String, body: String? = nil, json: Bool) throws {
        let answer = try send("POST", path, body: body)
        guard !json else { return Self.printJSON(answer) }
        print(TerminalText.printable(try Self.decode(ControlMessage.Result.self, answer).message))
    }

    static func printJSON(_ body: String) {
        print(body, terminator: body.hasSuffix("\n") ? "" : "\n")
    }

    static func decode<Message: Decodable>(_ type: Message.Type, _ body: String) throws(ControlClient.Failure) -> Message {
        do {
            return try JSONDecoder().decode(type, from: Data(body.utf8))
        } catch {
            throw ControlClient.Failure(description: "the answer is not the \(Message.self) this share-manager expects (\(error)); --json prints it as it came")
        }
    }
}

/// `--json`: the control API's answer exactly as it came, for scripts.
public struct JSONOutput: ParsableArguments, Sendable {
    @Flag(help: "Print the control API's JSON answer as it came (for scripts) instead of a summary.")
    public var json = false

    public init() {}
}

public struct StatusCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the phase, device, export, grace and Ganesha of a running share-manager.")
    @OptionGroup var target: ControlTarget
    @OptionGroup var output: JSONOutput
    public init() {}
    public func run() throws {
        let body = try target.send("GET", "/v1/status")
        guard !output.json else { return ControlTarget.printJSON(body) }
        print(ControlSummary.status(try ControlTarget.decode(ControlMessage.Status.self, body)), terminator: "")
    }
}

public struct ClientsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "clients", abstract: "List connected NFS clients and the recovery store's records.")
    @OptionGroup var target: ControlTarget
    @OptionGroup var output: JSONOutput
    public init() {}
    public func run() throws {
        let body = try target.send("GET", "/v1/clients")
        guard !output.json else { return ControlTarget.printJSON(body) }
        print(ControlSummary.clients(try ControlTarget.decode(ControlMessage.Clients.self, body)), terminator: "")
    }
}

public struct ResizeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "resize", abstract: "Grow the filesystem to its device now (prints the JSON answer).")
    @OptionGroup var target: ControlTarget
    public init() {}
    public func run() throws { try target.call("POST", "/v1/resize") }
}

public struct TrimCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "trim", abstract: "Run fstrim on the volume now (prints the JSON answer).")
    @OptionGroup var target: ControlTarget
    public init() {}
    public func run() throws { try target.call("POST", "/v1/trim") }
}
