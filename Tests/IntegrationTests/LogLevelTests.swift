import Foundation
import Testing
import TestSupport

/// Issue 20 item 4: a healthy start logs nothing at warning or above, Ganesha's known
/// harmless lines included, so that a warning in the log means something.
@Suite("log levels of a healthy start", .serialized, .timeLimit(.minutes(2)))
struct LogLevelTests {
    @Test("a fresh start with JSON logs: every line is a JSON object, none at warning or above", .realParts())
    func freshStartIsQuiet() async throws {
        try await withImage(prefix: "sm-quiet") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-quiet", dir: dir, image: image)
            sm.extra = ["--log-format", "json"]
            let process = try sm.start(name: "run")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                try #require(await SocketProbe.waitUntil(timeout: .seconds(30)) { process.output.contains("grace period ended") }, "\(process.output)")
            }
            var relayed = 0
            for line in process.output.split(separator: "\n") where !line.hasPrefix("--- std") {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
                let level = try #require(object["level"] as? String, "no level: \(line)")
                #expect(!["warning", "error", "critical"].contains(level), "logged at \(level): \(line)")
                if object["child"] as? String == "ganesha", object["ganeshaLevel"] != nil { relayed += 1 }
            }
            #expect(relayed > 0, "no Ganesha line was relayed with its header's fields:\n\(process.output)")
            #expect(process.output.contains(#""knownHarmless":"#), "no known harmless line seen (RADOS URLs, rpcbind)")
        }
    }
}
