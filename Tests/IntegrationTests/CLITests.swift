import Foundation
import Testing
import TestSupport

/// The binary as an operator meets it: answers, exit codes and one-line errors. No root needed.
@Suite("share-manager's command line")
struct CLITests {
    func run(_ args: [String], environment: [String: String] = [:]) throws -> CommandResult {
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        env.merge(environment) { $1 }
        return try runCommand([Binaries.shareManager] + args, environment: env)
    }

    @Test("render prints both files, exits 0 and creates nothing")
    func renderTouchesNothing() throws {
        let dir = try TemporaryDirectory(prefix: "sm-render")
        defer { dir.remove() }
        let result = try run(["render", "--volume", "pvc-1", "--mount-point", dir.file("mnt"), "--state-dir", dir.file("state")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("# ===== \(dir.file("state"))/ganesha.conf"))
        #expect(result.stdout.contains("# ===== \(dir.file("state"))/export.conf"))
        #expect(result.stdout.contains("Pseudo = \"/pvc-1\";"))
        #expect(result.stdout.contains("Path = \"\(dir.file("mnt"))/data\";"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test("render reads flags from the environment; the flag wins")
    func renderEnvironment() throws {
        let result = try run(
            ["render", "--nfs-port", "2051"],
            environment: ["SHARE_MANAGER_VOLUME": "env-vol", "SHARE_MANAGER_NFS_PORT": "2050", "SHARE_MANAGER_GRACE_PERIOD": "33"]
        )
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Pseudo = \"/env-vol\";"))
        #expect(result.stdout.contains("NFS_Port = 2051;"))
        #expect(result.stdout.contains("Grace_Period = 33;"))
    }

    @Test("the binary loads no Foundation proper and no ICU (a third of its memory when it did)")
    func noFoundationProper() throws {
        // `--version` runs the binary's whole start-up; its map shows what it loaded.
        let maps = try runCommand(["/bin/sh", "-c", "\(Binaries.shareManager) --version >/dev/null && ldd \(Binaries.shareManager)"])
        #expect(maps.status == 0, "\(maps.stderr)")
        for library in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"] {
            #expect(!maps.stdout.contains(library), "share-manager links \(library)")
        }
    }

    static let hostile: [[String]] = [
        ["render", "--volume", "x\"; } EXPORT { Path = /"],
        ["render", "--volume", "ok", "--mount-point", "/mnt/a\n%include /etc/passwd"],
        ["render", "--volume", "ok", "--mount-point", "/mnt/../etc"],
        ["render", "--volume", "ok", "--nfs-port", "notanumber"],
        ["render", "--volume", "ok", "--no-such-flag"],
        ["run", "--volume", "ok"],
        ["run", "--volume", "ok", "--device", "/dev/null", "--grace-period", "999"],
    ]

    @Test("bad input: exit 2, one line on stderr naming the problem, nothing on stdout", arguments: hostile)
    func badInput(_ args: [String]) throws {
        let result = try run(args)
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(result.stderr)")
        #expect(lines.first?.hasPrefix("share-manager: error: ") == true)
        #expect(result.stdout.isEmpty)
    }

    @Test("--version and --help answer with exit 0")
    func versionAndHelp() throws {
        #expect(try run(["--version"]).status == 0)
        let help = try run(["run", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--nfs-port"))
    }

    @Test("README's flag table and `run --help` name the same flags, each row with its flags' variables; --help lists every variable and the exit codes")
    func readmeMatchesHelp() throws {
        let help = try run(["run", "--help"])
        #expect(help.status == 0, "\(help.stderr)")
        let options = help.stdout.components(separatedBy: "OPTIONS:").last ?? ""
        let helpFlags = Set(options.matches(of: /--([a-z][a-z0-9-]*)/).map { String($0.1) }).subtracting(["help", "version"])
        #expect(helpFlags.count > 20, "no flags found in:\n\(help.stdout)")

        let readme = try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let table = try #require(readme.components(separatedBy: "| flag | environment | default |").dropFirst().first)
        let rows = table.split(separator: "\n").dropFirst().prefix { $0.hasPrefix("|") }
        var readmeFlags: Set<String> = []
        for row in rows {
            let cells = row.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            try #require(cells.count >= 4, "not a table row: \(row)")
            let flags = cells[1].matches(of: /`--([a-z0-9-]+)`/).map { String($0.1) }
            let variables = cells[2].matches(of: /`([A-Z0-9_]+)`/).map { String($0.1) }
            #expect(!flags.isEmpty && variables == flags.map(Self.variable), "README row: \(row)")
            readmeFlags.formUnion(flags)
        }
        #expect(readmeFlags.subtracting(helpFlags).isEmpty, "in README's table, not in --help: \(readmeFlags.subtracting(helpFlags).sorted())")
        #expect(helpFlags.subtracting(readmeFlags).isEmpty, "in --help, not in README's table: \(helpFlags.subtracting(readmeFlags).sorted())")

        for flag in helpFlags {
            #expect(help.stdout.contains(Self.variable(flag)), "--help does not list \(Self.variable(flag))")
        }
        for code in ["0  done", "1  failed", "2  bad input"] {
            #expect(help.stdout.contains(code), "--help does not explain exit code \(code.prefix(1))")
        }
    }

    static func variable(_ flag: String) -> String {
        "SHARE_MANAGER_" + flag.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    @Test("--log-format json writes one JSON object per line, and a missing device is a run failure (exit 1)")
    func jsonLogs() throws {
        let dir = try TemporaryDirectory(prefix: "sm-json")
        defer { dir.remove() }
        let result = try run([
            "run", "--volume", "vol-json", "--device", dir.file("missing.img"), "--log-format", "json",
            "--mount-point", dir.file("mnt"), "--state-dir", dir.file("state"),
            "--http-address", "127.0.0.1", "--http-port", "0",
        ])
        #expect(result.status == 1, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] is String && object?["message"] is String, "not a log object: \(line)")
        }
        #expect(lines.contains { $0.contains("\"level\":\"error\"") && $0.contains("missing.img") })
        #expect(!FileManager.default.fileExists(atPath: dir.file("mnt")))
    }
}
