import Foundation
import Testing
import TestSupport

/// Issue 16 row 2, the attack itself: a local user who could write the state dir swapped
/// the files Ganesha and the bus read, then waited for a crash. Every start renders them
/// again from the settings in memory, so the restarted Ganesha serves the volume, and a
/// restarted bus runs on share-manager's policy.
@Suite("swapped files in the state dir", .serialized, .timeLimit(.minutes(4)))
struct StateDirAttackTests {
    @Test("export.conf, ganesha.conf and bus.conf swapped to export /etc; Ganesha, then the bus SIGKILLed: the volume is served, not /etc", .realParts(python: true))
    func swappedConfigs() async throws {
        try await withImage(prefix: "sm-swap") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-swap", dir: dir, image: image)
            let server = try sm.start(name: "server")
            try await stoppingAfterwards(server) {
                try #require(await sm.waitUntilReady(server), "\(server.output)")
                let written = try nfsClient(["write", sm.nfsURL, "on-the-volume", "4096"])
                try #require(written.status == 0, "\(written.stderr)")
                // Started with --nfs-port 0, a restart renders the port Ganesha got, so that
                // clients keep it: otherwise the same files.
                let rendered = try files(sm).map { $0.replacingOccurrences(of: "NFS_Port = 0;", with: "NFS_Port = \(sm.nfsPort);") }

                try swap(sm, rendered)
                let ganesha = try sm.ganeshaPid()
                kill(ganesha, SIGKILL)
                try await waitForNew(sm, server, "Ganesha", old: ganesha) { try sm.ganeshaPid() }
                try expectVolumeServed(sm, written: written.stdout, after: "Ganesha was restarted in place")
                // The bus config is read by a bus start only: that comes next.
                #expect(try files(sm).prefix(2) == rendered.prefix(2), "the restarted Ganesha's files are not share-manager's")

                try swap(sm, rendered)
                let bus = try sm.busPid()
                kill(bus, SIGKILL)
                try await waitForNew(sm, server, "the bus", old: bus) { try sm.busPid() }
                try await waitForNew(sm, server, "Ganesha after the bus", old: ganesha) { try sm.ganeshaPid() }
                try expectVolumeServed(sm, written: written.stdout, after: "the bus and Ganesha were restarted")
                #expect(try files(sm) == rendered, "the restarted bus's or Ganesha's files are not share-manager's")
            }
        }
    }

    private static let names = ["export.conf", "ganesha.conf", "bus/bus.conf"]

    private func files(_ sm: ShareManagerUnderTest) throws -> [String] {
        try Self.names.map { try String(contentsOfFile: sm.stateDir + "/" + $0, encoding: .utf8) }
    }

    /// What the attacker writes: the export's path turned into the host's /etc, and a bus
    /// policy that lets anyone own Ganesha's name and call it.
    private func swap(_ sm: ShareManagerUnderTest, _ rendered: [String]) throws {
        let exportPath = "\"\(sm.mountPoint)/data\""
        try #require(rendered[0].contains(exportPath), "export.conf does not name \(exportPath):\n\(rendered[0])")
        let open = #"<policy context="mandatory"><allow own="*"/><allow send_destination="*"/></policy></busconfig>"#
        let swapped = [
            rendered[0].replacingOccurrences(of: exportPath, with: "\"/etc\""),
            rendered[1].replacingOccurrences(of: exportPath, with: "\"/etc\""),
            rendered[2].replacingOccurrences(of: "</busconfig>", with: open),
        ]
        for (name, text) in zip(Self.names, swapped) {
            try text.write(toFile: sm.stateDir + "/" + name, atomically: true, encoding: .utf8)
        }
    }

    /// A new pid in the pid file (read while the old process may linger), then /readyz 200.
    private func waitForNew(
        _ sm: ShareManagerUnderTest, _ server: ChildProcess, _ what: String, old: pid_t, pid: () throws -> pid_t
    ) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline && server.isRunning {
            if let new = try? pid(), new != old, await sm.get("/readyz").status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("\(what) was not restarted (share-manager running: \(server.isRunning)):\n\(server.output)")
        throw POSIXError(.ETIMEDOUT)
    }

    private func expectVolumeServed(_ sm: ShareManagerUnderTest, written: String, after: String) throws {
        let read = try nfsClient(["read", sm.nfsURL, "on-the-volume"])
        #expect(read.status == 0 && read.stdout == written, "\(after): the volume's file does not read back: \(read.stdout)\(read.stderr)")
        let host = try nfsClient(["read", sm.nfsURL, "passwd"])
        #expect(host.status != 0, "\(after): an NFS client reads the host's /etc/passwd (\(host.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))")
    }
}
