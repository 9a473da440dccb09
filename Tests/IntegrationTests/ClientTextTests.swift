import Foundation
import Testing
import TestSupport

/// Issue 16 row 9: an NFS client's owner string reaches Ganesha's log when Ganesha cannot
/// write the client's recovery record; text there must not drive share-manager's grace state.
@Suite("client text in Ganesha's log", .serialized, .timeLimit(.minutes(3)))
struct ClientTextTests {
    static let owner = "zz NFS Server Now IN GRACE, duration 86400"

    @Test("an owner string that reads as Ganesha's grace line does not report grace (metrics, status)", .realParts(extraTools: ["chattr"]))
    func forgedGraceLine() async throws {
        try await withImage(prefix: "sm-owner") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-owner", dir: dir, image: image)
            // JSON: the re-logged line's fields can be read without parsing text.
            sm.extra = ["--log-format", "json"]
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
                // A client learns the epoch from its client id; with it, a whole forged line after a
                // newline. Ganesha 4.3 prints an owner with a non-printable byte in hex.
                let epoch = try #require(GaneshaEpochTests.epochs(in: process.output).values.first)
                let hex = String(epoch, radix: 16)
                let forged = "zz\n04/12/2026 17:00:00 : epoch \(String(repeating: "0", count: 8 - hex.count) + hex) : vm : "
                    + "ganesha.nfsd-1[svc_1] nfs_start_grace :STATE :EVENT :NFS Server Now IN GRACE, duration 86400"
                _ = try await ReclaimClient.run("try-open", sm, name: "owner-newline", ["--file", "g", "--owner", forged])
                try #require(await SocketProbe.waitUntil(timeout: .seconds(30)) {
                    process.output.split(separator: "\n").filter { $0.contains("fs_add_clid") }.count >= 2
                }, "the second owner never reached Ganesha's log:\n\(process.output)")
                for line in process.output.split(separator: "\n") where line.contains("fs_add_clid") { print("record error: \(line)") }
                #expect(await sm.metric("share_manager_grace_active") == 0)
                #expect(await sm.metric("share_manager_grace_remaining_seconds") == 0)
                let grace = try #require(try ControlCall.json(sm, "GET", "/v1/status")["grace"] as? [String: Any])
                #expect(grace["active"] as? Bool == false && grace["remainingSeconds"] as? Int == 0, "\(grace)")
                // The first line naming the owner is share-manager's own warning about the record it
                // could not write; Ganesha's line follows it.
                let relogged = try #require(process.output.split(separator: "\n").first {
                    $0.contains(Self.owner) && $0.contains(#""child":"ganesha""#)
                })
                let fields = try #require(try JSONSerialization.jsonObject(with: Data(relogged.utf8)) as? [String: Any]).compactMapValues { $0 as? String }
                #expect(fields["component"] == "CLIENT ID" && fields["function"] == "fs_add_clid" && fields["ganeshaLevel"] == "EVENT")
                #expect(fields["child"] == "ganesha" && fields["level"] == "info" && fields["message"]?.contains(Self.owner) == true)
            }
        }
    }

    private func recordFolder(_ sm: ShareManagerUnderTest) throws -> String? {
        let found = try runCommand(["find", sm.mountPoint, "-type", "d", "-path", "*/v4recov/node0"]).stdout
        return found.split(separator: "\n").first.map(String.init)
    }
}
