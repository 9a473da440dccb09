import Foundation
import Testing
import TestSupport

/// Talks to a share-manager's control API the way an operator would: curl on the unix
/// socket, or the share-manager CLI.
enum ControlCall {
    static func json(_ sm: ShareManagerUnderTest, _ method: String, _ path: String, body: String? = nil) throws -> [String: Any] {
        var argv = ["curl", "-s", "--max-time", "30", "--unix-socket", sm.stateDir + "/control.sock", "-X", method]
        if let body { argv += ["-H", "Content-Type: application/json", "--data-binary", body] }
        let result = try runCommand(argv + ["http://share-manager\(path)"])
        return try parse(result)
    }

    /// The JSON answer: status and clients print it only with `--json`, which is added here.
    static func cli(_ args: [String]) throws -> [String: Any] {
        let json = ["status", "clients"].contains(args.first ?? "") ? ["--json"] : []
        let result = try runCommand([Binaries.shareManager] + args + json)
        #expect(result.status == 0, "share-manager \(args.joined(separator: " ")): \(result.stderr)")
        return try parse(result)
    }

    /// Only the HTTP status code, as `curl -w %{http_code}` prints it.
    static func status(_ argv: [String]) throws -> String {
        try runCommand(argv).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func parse(_ result: CommandResult) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(result.stdout) \(result.stderr)")
    }
}

/// `<state-dir>/endpoint.json`.
struct Endpoint: Decodable {
    var volume: String
    var address: String
    var port: UInt16
    var pid: Int32

    static func read(_ stateDir: String) throws -> Endpoint {
        try JSONDecoder().decode(Endpoint.self, from: Data(contentsOf: URL(fileURLWithPath: stateDir + "/endpoint.json")))
    }
}
