import Foundation
import Testing
import TestSupport

/// Issue 18: one path, serialised in the supervisor, makes the export exist. Concurrent
/// unexport/export pairs used to leave the export removed while status said online (about
/// 3 rounds of 30).
@Suite("export race: concurrent unexport/export leave status equal to Ganesha", .serialized, .timeLimit(.minutes(5)))
struct ExportRaceTests {
    static let rounds = 50

    @Test("50 concurrent unexport/export pairs: after each, GET /v1/status says what Ganesha's ShowExports says", .realParts(extraTools: ["curl", "dbus-send"]))
    func concurrentPairs() async throws {
        try await withImage(prefix: "sm-race-exp") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-rexp", dir: dir, image: image)
            let process = try sm.start(name: "run")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                var mismatches: [String] = []
                for round in 0..<Self.rounds {
                    async let off = ControlCall.asyncJSON(sm, "POST", "/v1/unexport")
                    async let on = ControlCall.asyncJSON(sm, "POST", "/v1/export")
                    let answers = try await [off, on]
                    #expect(answers.allSatisfy { $0["ok"] as? Bool == true }, "round \(round): \(answers)")
                    let status = try ControlCall.json(sm, "GET", "/v1/status")
                    let export = try #require(status["export"] as? [String: Any], "\(status)")
                    let listed = try await Self.ganeshaListsExport(sm)
                    let offline = export["offline"] as? Bool
                    if offline != !listed || export["active"] as? Bool != listed {
                        mismatches.append("round \(round): status offline=\(String(describing: offline)) active=\(String(describing: export["active"])), Ganesha lists it: \(listed)")
                    }
                }
                print("export race: \(mismatches.count) of \(Self.rounds) rounds left status and Ganesha apart")
                #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
            }
        }
    }

    /// Asks Ganesha itself (ShowExports over its bus) whether export 1 is active.
    static func ganeshaListsExport(_ sm: ShareManagerUnderTest) async throws -> Bool {
        let reply = try await runCommand([
            "dbus-send", "--bus=unix:path=\(sm.stateDir)/bus/system_bus_socket", "--print-reply",
            "--dest=org.ganesha.nfsd", "/org/ganesha/nfsd/ExportMgr", "org.ganesha.nfsd.exportmgr.ShowExports",
        ])
        try #require(reply.status == 0, "ShowExports failed: \(reply.stderr)")
        return reply.stdout.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == "uint16 1" }
    }
}

extension ControlCall {
    /// `json` off the caller's thread, so that two requests really overlap.
    static func asyncJSON(_ sm: ShareManagerUnderTest, _ method: String, _ path: String) async throws -> [String: Any] {
        let argv = ["curl", "-s", "--max-time", "30", "--unix-socket", sm.stateDir + "/control.sock", "-X", method, "http://share-manager\(path)"]
        let result = try await runCommand(argv)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(result.stdout) \(result.stderr)")
    }
}
