import Foundation
import Testing
import TestSupport

/// Issue 16 row 9: an NFS client's owner string reaches Ganesha's log when Ganesha cannot
/// write the client's recovery record; text there must not drive share-manager's grace state.
@Suite("client text in Ganesha's log", .serialized, .timeLimit(.minutes(3)))
struct ClientTextTests {
    static let owner = "zz NFS Server Now IN GRACE, duration 86400"

    @Test("an owner string that reads as Ganesha's grace line does not report grace (metrics, status)")
    func forgedGraceLine() async throws {
        guard realPartsAvailable("forgedGraceLine", extraTools: ["chattr"]) else { return }
        try await withImage(prefix: "sm-owner") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-owner", dir: dir, image: image)
            let process = try sm.start(name: "run")
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                try #require(await SocketProbe.waitUntil(timeout: .seconds(30)) { process.output.contains("grace period ended") }, "\(process.output)")
                // An immutable record folder makes Ganesha log the failed record write, owner included.
                let records = try #require(try recordFolder(sm), "no v4recov/node0 under \(sm.mountPoint)")
                try await runCommand(["chattr", "+i", records])
                defer { _ = try? runCommand(["chattr", "-i", records]) }
                _ = try await ReclaimClient.run("try-open", sm, name: "owner", ["--file", "f", "--owner", Self.owner])
                try #require(await SocketProbe.waitUntil(timeout: .seconds(30)) { process.output.contains(Self.owner) },
                             "the owner never reached Ganesha's log:\n\(process.output)")
                #expect(await sm.metric("share_manager_grace_active") == 0)
                #expect(await sm.metric("share_manager_grace_remaining_seconds") == 0)
                let grace = try #require(try ControlCall.json(sm, "GET", "/v1/status")["grace"] as? [String: Any])
                #expect(grace["active"] as? Bool == false && grace["remainingSeconds"] as? Int == 0, "\(grace)")
                let relogged = try #require(process.output.split(separator: "\n").first { $0.contains(Self.owner) })
                print("re-logged: \(relogged)")
                #expect(relogged.hasSuffix("[child=ganesha component=CLIENT ID function=fs_add_clid ganeshaLevel=EVENT]")
                        || relogged.contains("component=CLIENT ID"), "\(relogged)")
            }
        }
    }

    private func recordFolder(_ sm: ShareManagerUnderTest) throws -> String? {
        let found = try runCommand(["find", sm.mountPoint, "-type", "d", "-path", "*/v4recov/node0"]).stdout
        return found.split(separator: "\n").first.map(String.init)
    }
}
