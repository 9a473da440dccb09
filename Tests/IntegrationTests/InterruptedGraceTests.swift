import Foundation
import Testing
import TestSupport

/// A crash during the grace period that an earlier crash started. The client that reclaimed
/// in between is recorded twice then (its old record and the one its reclaim wrote); Ganesha
/// would count it twice and hold every new open for the full grace period.
@Suite("a crash during a grace period", .serialized, .timeLimit(.minutes(4)))
struct InterruptedGraceTests {
    @Test("Ganesha killed again during its grace period: the client reclaims again and grace still ends early", .realParts())
    func killedDuringGrace() async throws {
        try await withImage(prefix: "sm-rk7") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-rk7", dir: dir, image: image)
            sm.gracePeriod = 90
            sm.leaseLifetime = 20  // Ganesha looks at the reclaim count every 10 s
            let server = try sm.start(name: "server")
            try await stoppingAfterwards(server) {
                try #require(await sm.waitUntilReady(server), "never ready:\n\(server.output)")
                let a = try ReclaimClient.start("hold", sm, name: "client-a", [
                    "--file", "held.bin", "--owner", "client-a", "--lock-offset", "0", "--lock-length", "100",
                    "--write-bytes", "4096", "--duration", "200", "--renew", "2", "--reconnect-timeout", "120",
                ])
                try await stoppingAfterwards(a.process) {
                    try #require(await a.wait(for: "holding", timeout: .seconds(30)) != nil, "\(a.events)")
                    kill(try sm.ganeshaPid(), SIGKILL)
                    let first = await a.wait(for: "reclaimed", count: 1, timeout: .seconds(60))
                    try #require(first?["open"] as? String == "NFS4_OK", "first reclaim: \(a.events)\n\(sm.restartReport(server))")
                    // The reclaim wrote a new record beside the one Ganesha moved to v4old.
                    let node = sm.mountPoint + "/.share-manager/recovery"
                    let recorded = { (generation: String) in
                        ((try? FileManager.default.contentsOfDirectory(atPath: "\(node)/\(generation)/node0")) ?? []).filter { $0.contains("client-a") }
                    }
                    #expect(recorded("v4old").count == 1 && recorded("v4recov").count == 1, "v4old \(recorded("v4old")), v4recov \(recorded("v4recov"))")

                    kill(try sm.ganeshaPid(), SIGKILL)
                    let killed = ContinuousClock.now
                    let second = await a.wait(for: "reclaimed", count: 2, timeout: .seconds(60))
                    #expect(second?["open"] as? String == "NFS4_OK" && second?["lock"] as? String == "NFS4_OK", "second reclaim: \(a.events)\n\(sm.restartReport(server))")

                    // A new client is refused while grace lasts; it ends at Ganesha's first
                    // look after the one recorded client is back, not after 90 s.
                    var accepted: Duration?
                    var answers: [String] = []
                    for attempt in 0..<30 where accepted == nil {
                        let b = try await ReclaimClient.run("try-open", sm, name: "client-b-\(attempt)", ["--file", "new-\(attempt).bin", "--owner", "client-b"])
                        let status = b.first { $0["event"] as? String == "open" }?["status"] as? String ?? "no answer"
                        answers.append(status)
                        if status == "NFS4_OK" { accepted = ContinuousClock.now - killed } else { try await Task.sleep(for: .seconds(1)) }
                    }
                    let after = try #require(accepted, "new opens still refused: \(answers)")
                    print("crash during grace: new opens accepted \(after) after the second crash (Grace_Period 90 s), answers \(answers)")
                    #expect(after < .seconds(30), "grace held new opens \(after) after the second crash: \(answers)")
                    #expect(answers.first == "NFS4ERR_GRACE", "the first new open came after grace: \(answers)")
                    #expect(server.output.contains("recovery records found twice"), "\(server.output)")
                    #expect(a.event("error") == nil, "\(a.events)")
                }
            }
        }
    }
}
