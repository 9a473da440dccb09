import Foundation
import Testing
import TestSupport

/// `--allowed-clients`, `--squash` and the anonymous ids against a real Ganesha. The clients
/// are Tools/nfs41_client.py bound to different loopback addresses (all of 127.0.0.0/8 is
/// loopback on Linux), so Ganesha sees 127.0.0.2 and 127.0.0.3 as two hosts.
@Suite("who may reach the export, and as whom", .serialized, .timeLimit(.minutes(5)))
struct AccessTests {
    @Test("a listed client creates, writes and reads; an unlisted one cannot even look the export up", .realParts())
    func onlyListedClients() async throws {
        try await withImage(prefix: "sm-acc1") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-acc", dir: dir, image: image)
            sm.extra = ["--allowed-clients", "127.0.0.2/32"]
            let server = try sm.start(name: "server")
            try await stoppingAfterwards(server) {
                try #require(await sm.waitUntilReady(server), "never ready:\n\(server.output)")
                let inside = ["--owner", "inside", "--source-address", "127.0.0.2", "--file", "in.bin", "--bytes", "65536"]
                let written = try #require(
                    try await ReclaimClient.run("write-once", sm, name: "inside-write", inside).first { $0["event"] as? String == "written" },
                    "the listed client could not write:\n\(server.output)")
                let read = try await ReclaimClient.run("read-once", sm, name: "inside-read", inside)
                #expect(read.first { $0["event"] as? String == "read" }?["sha256"] as? String == written["sha256"] as? String, "\(read)")
                let onVolume = sm.mountPoint + "/data/in.bin"
                #expect(try await sha256(ofFile: onVolume) == written["sha256"] as? String)
                // The default is No_Root_Squash, as Longhorn: root over NFS stays root on the volume.
                #expect(try owner(of: onVolume) == (0, 0))

                let outside = try await ReclaimClient.run("try-open", sm, name: "outside", [
                    "--owner", "outside", "--source-address", "127.0.0.3", "--file", "out.bin",
                ])
                // The client gets a session (nothing below the export is refused), but Ganesha
                // hides an export the client may not reach: LOOKUP of its name answers NOENT.
                #expect(outside.contains { $0["event"] as? String == "session" }, "\(outside)")
                let open = try #require(outside.first { $0["event"] as? String == "open" }, "\(outside)")
                #expect(open["op"] as? String == "LOOKUP", "\(open)")
                #expect(open["status"] as? String == "NFS4ERR_NOENT", "\(open)")
                #expect(!FileManager.default.fileExists(atPath: sm.mountPoint + "/data/out.bin"))
            }
        }
    }

    static let squashed: [(name: String, flags: [String])] = [
        ("vol-sq-all", ["--squash", "all"]),
        ("vol-sq-root", ["--squash", "root", "--allowed-clients", "127.0.0.1/32"]),
    ]

    @Test("a squashed uid 0 creates files as the anonymous uid and gid (in the EXPORT, and in a CLIENT block)", .realParts(), arguments: squashed)
    func squashToAnonymous(_ volume: String, _ flags: [String]) async throws {
        try await withImage(prefix: "sm-acc2") { dir, image in
            var sm = try ShareManagerUnderTest(volume: volume, dir: dir, image: image)
            sm.extra = flags + ["--anonymous-uid", "12345", "--anonymous-gid", "23456"]
            let server = try sm.start(name: "server")
            try await stoppingAfterwards(server) {
                try #require(await sm.waitUntilReady(server), "never ready:\n\(server.output)")
                // nfs41_client.py always sends AUTH_SYS uid 0, gid 0.
                let events = try await ReclaimClient.run("write-once", sm, name: "root-client", [
                    "--owner", "root-client", "--file", "squashed.bin", "--bytes", "1024",
                ])
                #expect(events.contains { $0["event"] as? String == "written" }, "\(events)\n\(server.output)")
                #expect(try owner(of: sm.mountPoint + "/data/squashed.bin") == (12345, 23456))
            }
        }
    }

    @Test("render shows the CLIENT block; a hostile list is one line on stderr, exit 2")
    func renderAndRefuse() throws {
        let good = try runCommand([
            Binaries.shareManager, "render", "--volume", "vol-r", "--allowed-clients", "10.0.0.0/8, FD00::/8, nfs.example.com",
            "--squash", "all", "--anonymous-uid", "1000",
        ])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("Clients = 10.0.0.0/8, fd00::/8, nfs.example.com;"))
        #expect(good.stdout.contains("    Access_Type = None;\n"))
        #expect(good.stdout.contains("Anonymous_Uid = 1000;"))

        let bad = try runCommand([Binaries.shareManager, "render", "--volume", "vol-r", "--allowed-clients", "10.0.0.0/8; } EXPORT {"])
        #expect(bad.status == 2)
        #expect(bad.stdout.isEmpty)
        #expect(bad.stderr == "share-manager: error: --allowed-clients: '10.0.0.0/8; } EXPORT {' has a bad prefix length; use 1-32 for IPv4\n")
    }

    private func owner(of path: String) throws -> (UInt32, UInt32) {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let uid = (attributes[.ownerAccountID] as? NSNumber)?.uint32Value ?? UInt32.max
        let gid = (attributes[.groupOwnerAccountID] as? NSNumber)?.uint32Value ?? UInt32.max
        return (uid, gid)
    }
}
