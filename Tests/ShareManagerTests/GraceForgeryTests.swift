import Logging
@testable import ShareManager
@testable import Recovery
import Testing

/// Text an NFS client chose (an owner string Ganesha prints in a failed record write, a
/// path) reaches Ganesha's log inside another line's message. Seen before the fix: the
/// owner `zz NFS Server Now IN GRACE, duration 86400` made share-manager report grace with
/// 86 398 s left while Ganesha was not in grace.
@Suite("Grace tracker on client text in Ganesha's log")
struct GraceForgeryTests {
    static let prefix = GraceTrackerHostileTests.prefix
    static let start = GraceTrackerHostileTests.start
    static let forgedStart = "NFS Server Now IN GRACE, duration 86400"
    /// Ganesha 4.3's line for a record it could not write, with the client's owner inside, as
    /// ClientTextTests saw it.
    static func recordError(_ owner: String) -> String {
        prefix + "fs_add_clid :CLIENT ID :EVENT :Failed to create client in recovery dir "
            + "(/mnt/.share-manager/recovery/v4recov/node0/::ffff:127.0.0.1-(\(owner.utf8.count):\(owner))), errno: No space left on device (28)"
    }

    struct Forgery: Sendable, CustomTestStringConvertible {
        let attack: String
        let text: String
        var testDescription: String { attack }
    }

    static let forgeries: [Forgery] = [
        .init(attack: "the reported owner string", text: recordError("zz " + forgedStart)),
        .init(attack: "owner that is the whole message", text: prefix + "fs_add_clid :CLIENT ID :EVENT :" + forgedStart),
        .init(attack: "owner ending grace", text: recordError("zz NFS Server Now NOT IN GRACE")),
        .init(attack: "owner with reclaim counts", text: recordError("check grace:reclaim complete(9) clid count(9)")),
        .init(attack: "forged component and level after the real ones",
              text: prefix + "fs_add_clid :CLIENT ID :EVENT :x :STATE :EVENT :" + forgedStart),
        .init(attack: "forged function, component and level", text: recordError("nfs_start_grace :STATE :EVENT :" + forgedStart)),
        .init(attack: "a whole forged line inside the message", text: recordError(start + "86400")),
        .init(attack: "embedded newline before a forged line", text: recordError("zz\n" + start + "86400")),
        .init(attack: "ANSI escape that erases the real header", text: recordError("\u{1B}[2K\r" + start + "86400")),
        .init(attack: "NUL before a forged line", text: recordError("\u{0}" + start + "86400")),
        .init(attack: "text before the header", text: "zz " + start + "86400"),
        .init(attack: "NUL before the header", text: "\u{0}" + start + "86400"),
        .init(attack: "grace function at another level", text: prefix + "nfs_start_grace :STATE :WARN :" + forgedStart),
        .init(attack: "grace message from another function", text: prefix + "nfs4_op_exchange_id :STATE :EVENT :" + forgedStart),
        .init(attack: "grace function, wrong component", text: prefix + "nfs_start_grace :CLIENT ID :EVENT :" + forgedStart),
        .init(attack: "NOT IN GRACE with client text after it",
              text: prefix + "nfs_lift_grace_locked :STATE :EVENT :NFS Server Now NOT IN GRACE zz"),
        .init(attack: "reclaim counts with client text after them",
              text: prefix + "nfs_try_lift_grace :STATE :EVENT :check grace:reclaim complete(9) clid count(9) zz"),
        .init(attack: "another Ganesha's epoch", text: start.replacingOccurrences(of: "6b0236d4", with: "6b0236d3") + "86400"),
    ]

    static func tracker() -> GraceTracker {
        let tracker = GraceTracker(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        tracker.expect(epoch: 0x6b02_36d4)
        return tracker
    }

    @Test("a client's text neither starts grace nor changes one that runs", arguments: forgeries)
    func forged(_ forgery: Forgery) {
        let idle = Self.tracker()
        idle.observe(Self.start + "90")
        idle.observe(Self.prefix + "nfs_lift_grace_locked :STATE :EVENT :NFS Server Now NOT IN GRACE")
        idle.observe(forgery.text)
        #expect(!idle.current.active && idle.current.remaining == .zero, "grace reported: \(idle.current)")

        let running = Self.tracker()
        running.observe(Self.start + "90")
        running.observe(GraceTrackerHostileTests.check + "1) clid count(2)")
        running.observe(forgery.text)
        let state = running.current
        #expect(state.active && state.duration == .seconds(90) && state.reclaimedClients == 1 && state.recordedClients == 2,
                "\(state)")
    }

    @Test("Ganesha's own lines still drive the tracker")
    func genuine() {
        let tracker = Self.tracker()
        tracker.observe(Self.start + "90\r")
        #expect(tracker.current.active && tracker.current.duration == .seconds(90))
        tracker.observe(GraceTrackerHostileTests.check + "2) clid count(3)")
        #expect(tracker.current.reclaimedClients == 2 && tracker.current.recordedClients == 3)
        tracker.observe(Self.prefix + "nfs_lift_grace_locked :STATE :EVENT :NFS Server Now NOT IN GRACE")
        #expect(!tracker.current.active)
    }

    @Test("the header's fields come from the header, the message keeps client text as it is")
    func fields() throws {
        let line = try #require(GaneshaLogLine(Self.recordError("zz :STATE :EVENT :x")))
        #expect(line.epoch == 0x6b02_36d4 && line.host == "vm" && line.program == "ganesha.nfsd" && line.pid == 1)
        #expect(line.time == "22/11/2026 01:00:00")
        #expect(line.thread == "main" && line.function == "fs_add_clid" && line.component == "CLIENT ID" && line.level == "EVENT")
        #expect(line.message.hasSuffix("errno: No space left on device (28)") && line.message.contains("zz :STATE :EVENT :x"))
        #expect(line.metadata == ["component": "CLIENT ID", "function": "fs_add_clid", "ganeshaLevel": "EVENT"])
        #expect(GaneshaLogLine("Starting: Ganesha Version 4.3") == nil)
        #expect(GaneshaLogLine(String(repeating: "22/11/2026 01:00:00 : epoch ", count: 40_000)) == nil)
    }
}
