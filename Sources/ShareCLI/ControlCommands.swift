import ArgumentParser
import FoundationEssentials
import GaneshaConfig
import SupervisorInterface

/// Finds a running share-manager's control socket: the flag, else the volume's state dir.
/// The `SHARE_MANAGER_*` variables count too, so `kubectl exec POD -- share-manager status`
/// works in the Pod without arguments.
public struct ControlTarget: ParsableArguments, Sendable {
    @Option(help: "The control socket (default <state-dir>/control.sock).")
    public var controlSocket: String?

    @Option(help: "The volume's state directory (default /var/run/share-manager/VOLUME).")
    public var stateDir: String?

    @Option(help: "The volume whose share-manager to ask.")
    public var volume: String?

    public init() {}

    /// The control commands, for the command tree.
    public static let commands: [any ParsableCommand.Type] = [StatusCommand.self, ClientsCommand.self, ResizeCommand.self, TrimCommand.self]

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

    /// Prints the JSON answer; a refusal becomes one line on stderr and exit 1.
    func call(_ method: String, _ path: String, body: String? = nil) throws -> Void {
        let answer = try ControlClient(socketPath: try socketPath()).request(method, path, body: body)
        guard (200..<300).contains(answer.status) else {
            let message = (try? JSONDecoder().decode(ControlMessage.Failure.self, from: Data(answer.body.utf8)))?.error
            throw ControlClient.Failure(description: "HTTP \(answer.status): \(message ?? answer.body)")
        }
        print(answer.body, terminator: answer.body.hasSuffix("\n") ? "" : "\n")
    }
}

public struct StatusCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "status", abstract: "Show the phase, device, export, grace and Ganesha of a running share-manager.")
    @OptionGroup var target: ControlTarget
    public init() {}
    public func run() throws { try target.call("GET", "/v1/status") }
}

public struct ClientsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "clients", abstract: "List connected NFS clients and the recovery store's records.")
    @OptionGroup var target: ControlTarget
    public init() {}
    public func run() throws { try target.call("GET", "/v1/clients") }
}

public struct ResizeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "resize", abstract: "Grow the filesystem to its device now.")
    @OptionGroup var target: ControlTarget
    public init() {}
    public func run() throws { try target.call("POST", "/v1/resize") }
}

public struct TrimCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "trim", abstract: "Run fstrim on the volume now.")
    @OptionGroup var target: ControlTarget
    public init() {}
    public func run() throws { try target.call("POST", "/v1/trim") }
}
