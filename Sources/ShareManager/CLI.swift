import ArgumentParser
import GaneshaConfig
import LinuxSupport
import RunSettings
import ShareCLI

/// `share-manager`: the command tree. `@main` only calls `ShareManagerCLI.main`.
public struct ShareManagerCommand: AsyncParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "share-manager",
        abstract: "Serves one block volume to many Pods over NFSv4.1/4.2 with NFS-Ganesha.",
        discussion: HelpText.environmentAndExitCodes,
        version: version,
        subcommands: [RunCommand.self, RenderCommand.self, ManifestsCommand.self] + ControlTarget.commands,
        defaultSubcommand: RunCommand.self
    )

    public init() {}
}

/// `share-manager run`: prepare the device, start Ganesha, serve until SIGTERM.
public struct RunCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Prepare the device, start Ganesha and serve the volume until SIGTERM.",
        discussion: HelpText.environmentAndExitCodes
    )

    @OptionGroup public var options: ShareManagerOptions

    public init() {}

    public func run() async throws {
        let resolved = try options.resolve(requireDevice: true)
        // Not root, or without the Pod's capabilities: said before any folder is made.
        let missing = Capabilities.missing(from: Capabilities.effective())
        if !missing.isEmpty {
            let lacks = missing.map { "\($0.name) (\($0.why))" }.joined(separator: " and ")
            throw ExitCode(ShareManagerCLI.fail("share-manager lacks \(lacks); run it as root or grant these capabilities (docs/security.md)", code: 1))
        }
        let templates = try TemplateSet.locate(resolved.templatesDir)
        try resolved.prepareTrustedPaths()
        let code = await ShareManagerRuntime(options: resolved, templates: templates).run()
        if code != 0 { throw ExitCode(code) }
    }
}

/// `share-manager render`: print the Ganesha files `run` would write, touching nothing.
public struct RenderCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "render", abstract: "Print the rendered Ganesha config and export file, touching nothing.",
        discussion: HelpText.environmentAndExitCodes
    )

    @OptionGroup public var options: ShareManagerOptions

    public init() {}

    public func run() async throws {
        let resolved = try options.resolve(requireDevice: false)
        try resolved.checkTrustedPaths()
        let rendered = try TemplateSet.locate(resolved.templatesDir).renderGanesha(resolved.ganesha)
        let layout = StateLayout(stateDir: resolved.stateDir)
        print("# ===== \(layout.ganeshaConfig)")
        print(rendered.main, terminator: rendered.main.hasSuffix("\n") ? "" : "\n")
        print("# ===== \(layout.exportConfig)")
        print(rendered.export, terminator: rendered.export.hasSuffix("\n") ? "" : "\n")
    }
}

/// Parses, runs, and turns every failure into one line on stderr and an exit code:
/// 2 for bad input (nothing touched), 1 for a failure while running.
public enum ShareManagerCLI {
    public static func main(arguments: [String], environment: [String: String]) async -> Int32 {
        let withEnvironment = applyingEnvironment(arguments, environment)
        do {
            var command = try ShareManagerCommand.parseAsRoot(withEnvironment)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let error as GaneshaConfig.ValidationError {
            return fail("\(error)", code: 2)
        } catch let error as TemplateError {
            return fail("\(error)", code: 2)
        } catch let error as ControlClient.Failure {
            return fail("\(error)", code: 1)
        } catch let error as ManifestsFailure {
            return fail("\(error)", code: 1)
        } catch let exit as ExitCode {
            return exit.rawValue
        } catch {
            let code = ShareManagerCommand.exitCode(for: error)
            if code == .success {
                // --help and --version are answers, not errors.
                print(ShareManagerCommand.fullMessage(for: error))
                return 0
            }
            return fail(ShareManagerCommand.message(for: error), code: 2)
        }
    }

    /// The environment fills in flags only for the subcommands that take them.
    static func applyingEnvironment(_ arguments: [String], _ environment: [String: String]) -> [String] {
        if arguments.isEmpty { return EnvironmentFallback.apply(to: ["run"], environment: environment) }
        guard let first = arguments.first, first == "run" || first == "render" else { return arguments }
        return [first] + EnvironmentFallback.apply(to: Array(arguments.dropFirst()), environment: environment)
    }

    static func fail(_ message: String, code: Int32) -> Int32 {
        let line = message.split(whereSeparator: \.isNewline).map { $0.trimmed }
            .filter { !$0.isEmpty }.joined(separator: " ")
        writeToStandardError("share-manager: error: \(printable(line))\n")
        return code
    }

    /// Values reach messages as typed (ArgumentParser quotes them whole): control characters
    /// would drive the operator's terminal, and a huge value would fill the log.
    static func printable(_ line: String, limit: Int = 1000) -> String {
        TerminalText.printable(line, limit: limit)
    }
}
