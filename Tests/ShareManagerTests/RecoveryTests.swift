import Foundation
import Logging
@testable import ShareManager
@testable import Recovery
import Testing
import TestSupport

@Suite("Restart policy, grace tracking and the recovery store")
struct RecoveryTests {
    @Test("the epoch recorded on the volume is read back; anything but a small regular file with a number is ignored")
    func recordedEpoch() throws {
        let dir = try TemporaryDirectory(prefix: "sm-recovery")
        defer { dir.remove() }
        let store = RecoveryStore(root: dir.path, logger: Logger(label: "test"))
        #expect(store.lastGaneshaEpoch() == nil)
        store.recordGaneshaEpoch(1_800_000_000)
        #expect(store.lastGaneshaEpoch() == 1_800_000_000)
        try "not a number\n".write(toFile: store.epochFile, atomically: true, encoding: .utf8)
        #expect(store.lastGaneshaEpoch() == nil)
        try FileManager.default.removeItem(atPath: store.epochFile)
        #expect(mkfifo(store.epochFile, 0o600) == 0)
        #expect(store.lastGaneshaEpoch() == nil, "a FIFO must not be read")
        try FileManager.default.removeItem(atPath: store.epochFile)
        try FileManager.default.createSymbolicLink(atPath: store.epochFile, withDestinationPath: "/etc/hostname")
        #expect(store.lastGaneshaEpoch() == nil)
        store.recordGaneshaEpoch(1_800_000_001)
        #expect(store.lastGaneshaEpoch() == 1_800_000_001, "the symlink is replaced, not written through")
    }

    @Test("grace is read from Ganesha's own log lines")
    func graceTracker() {
        let tracker = GraceTracker(logger: Logger(label: "test"))
        let prefix = "22/11/2026 01:00:00 : epoch 6b0236d4 : vm : ganesha.nfsd-1[main] "
        tracker.observe(prefix + "nfs_start_grace :STATE :EVENT :NFS Server Now IN GRACE, duration 90")
        #expect(tracker.current.active)
        #expect(tracker.current.remaining > .seconds(85))
        tracker.observe(prefix + "nfs_try_lift_grace :STATE :EVENT :check grace:reclaim complete(1) clid count(2)")
        #expect(tracker.current.recordedClients == 2)
        #expect(tracker.current.reclaimedClients == 1)
        tracker.observe(prefix + "nfs_lift_grace_locked :STATE :EVENT :NFS Server Now NOT IN GRACE")
        #expect(!tracker.current.active)
        #expect(tracker.current.remaining == .zero)
        #expect(tracker.current.reclaimedClients == 1)
    }

    @Test("malformed recovery entries are quarantined, never deleted; good records stay")
    func quarantine() throws {
        let dir = try TemporaryDirectory(prefix: "sm-recovery")
        defer { dir.remove() }
        let root = dir.file("recovery")
        let node = root + "/v4recov/node0"
        let good = node + "/::ffff:127.0.0.1-(12:client-a-xyz)"
        try FileManager.default.createDirectory(atPath: good, withIntermediateDirectories: true)
        try "junk".write(toFile: node + "/stray-file", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: node + "/no-owner-part", withIntermediateDirectories: true)

        let report = try RecoveryStore(root: root, logger: Logger(label: "test")).prepare()
        #expect(report.records == 1)
        #expect(Set(report.quarantined) == ["stray-file", "no-owner-part"])
        #expect(FileManager.default.fileExists(atPath: good))
        let quarantined = try FileManager.default.contentsOfDirectory(atPath: dir.file("recovery-quarantine"))
        #expect(quarantined.count == 2)
        #expect(quarantined.contains { $0.hasSuffix("v4recov-stray-file") })
    }

    @Test("a missing recovery store is created, private to root")
    func createsStore() throws {
        let dir = try TemporaryDirectory(prefix: "sm-recovery")
        defer { dir.remove() }
        let report = try RecoveryStore(root: dir.file("a/recovery"), logger: Logger(label: "test")).prepare()
        #expect(report == RecoveryStore.Report())
        let mode = try FileManager.default.attributesOfItem(atPath: dir.file("a/recovery"))[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }
}

@Suite("Records of a grace period cut short by a crash")
struct InterruptedGraceTests {
    @Test("a client in both v4old and v4recov is merged into one record; its files are kept; others are left alone")
    func mergesDuplicates() throws {
        let dir = try TemporaryDirectory(prefix: "sm-recovery")
        defer { dir.remove() }
        let root = dir.file("recovery")
        let old = root + "/v4old/node0", recovered = root + "/v4recov/node0"
        let files = FileManager.default
        let twice = "::ffff:127.0.0.1-(8:client-a)"
        let onlyOld = "::ffff:127.0.0.1-(8:client-b)"
        let long = "::ffff:127.0.0.1-(600:" + String(repeating: "x", count: 200)
        for path in [old + "/" + twice, recovered + "/" + twice, old + "/" + onlyOld,
                     old + "/" + long + "/rest", recovered + "/" + long + "/rest"] {
            try files.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        // Handles revoked from the client, as Ganesha records them: files in its folder.
        try Data().write(to: URL(fileURLWithPath: old + "/" + twice + "/handle-1"))
        try Data().write(to: URL(fileURLWithPath: old + "/" + twice + "/handle-2"))
        try Data().write(to: URL(fileURLWithPath: recovered + "/" + twice + "/handle-2"))

        let merged = RecoveryStore(root: root, logger: Logger(label: "test")).mergeInterruptedGrace()
        #expect(merged == [twice])
        #expect(try files.contentsOfDirectory(atPath: old).sorted() == [long, onlyOld].sorted())
        #expect(try files.contentsOfDirectory(atPath: recovered).sorted() == [long, twice].sorted())
        #expect(try files.contentsOfDirectory(atPath: recovered + "/" + twice).sorted() == ["handle-1", "handle-2"])
        #expect(RecoveryStore(root: root, logger: Logger(label: "test")).mergeInterruptedGrace().isEmpty, "a second pass finds nothing")
    }
}
