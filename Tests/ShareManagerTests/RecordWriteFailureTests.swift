import Logging
@testable import ShareManager
@testable import Recovery
import Testing

/// Ganesha's line for a recovery record it could not write, as captured on a full volume,
/// and lines that only look like it: the record's path carries the client's owner string.
@Suite("Recovery record write failures in Ganesha's log")
struct RecordWriteFailureTests {
    /// What share-manager does with each line: the header first, then the message.
    func parse(_ text: String, recoveryRoot: String?) -> RecordWriteFailures.Failure? {
        GaneshaLogLine(text).flatMap { RecordWriteFailures.Failure(line: $0, recoveryRoot: recoveryRoot) }
    }

    static let root = "/mnt/vol/.share-manager/recovery"
    static let head = "04/12/2026 17:05:42 : epoch 6b12f2e3 : vm : ganesha.nfsd-10339[svc_6] "
    static func failed(_ owner: String, root: String = root, errno: String = "No space left on device (28)") -> String {
        head + "fs_add_clid :CLIENT ID :EVENT :Failed to create client in recovery dir ("
            + "\(root)/v4recov/node0/::ffff:127.0.0.1-(\(owner.utf8.count):\(owner))), errno: \(errno)"
    }

    @Test("the line Ganesha 4.3 prints on a full volume is counted, with the record and the error")
    func realLine() {
        let failure = parse(Self.failed("client-a"), recoveryRoot: Self.root)
        #expect(failure?.record == "node0/::ffff:127.0.0.1-(8:client-a)")
        #expect(failure?.error == "No space left on device (28)")
        let quota = parse(Self.failed("b", errno: "Disk quota exceeded (122)"), recoveryRoot: Self.root)
        #expect(quota?.error == "Disk quota exceeded (122)")
    }

    @Test("an owner string that imitates the line's tail stays part of the record")
    func ownerImitatesTail() {
        let owner = "x), errno: Fake (1)"
        let failure = parse(Self.failed(owner), recoveryRoot: Self.root)
        #expect(failure?.record == "node0/::ffff:127.0.0.1-(\(owner.utf8.count):\(owner))")
        #expect(failure?.error == "No space left on device (28)")
    }

    static let imitations: [(String, String)] = [
        ("the message inside another function's line (an owner in a grace line)",
         head + "nfs_try_lift_grace :STATE :EVENT :" + failed("c").dropFirst(head.count)),
        ("another component", head + "fs_add_clid :STATE :EVENT :Failed to create client in recovery dir (\(root)/v4recov/x), errno: E (28)"),
        ("another level", head + "fs_add_clid :CLIENT ID :DEBUG :Failed to create client in recovery dir (\(root)/v4recov/x), errno: E (28)"),
        ("no header", "fs_add_clid :CLIENT ID :EVENT :Failed to create client in recovery dir (\(root)/v4recov/x), errno: E (28)"),
        ("a forged timestamp", "zz/12/2026 17:05:42 : epoch 1 : vm : ganesha.nfsd-1[svc_6] fs_add_clid :CLIENT ID :EVENT :Failed to create client in recovery dir (\(root)/v4recov/x), errno: E (28)"),
        ("not ganesha.nfsd", "04/12/2026 17:05:42 : epoch 1 : vm : other-1[svc_6] fs_add_clid :CLIENT ID :EVENT :Failed to create client in recovery dir (\(root)/v4recov/x), errno: E (28)"),
        ("a path outside the recovery store", failed("d", root: "/etc")),
        ("no errno number", failed("e", errno: "No space left on device")),
        ("a non-ASCII errno number", failed("f", errno: "E (\u{669}\u{662})")),
        ("empty errno number", failed("g", errno: "E ()")),
        ("the text of the line with its tail cut", String(failed("h").prefix(140))),
    ]

    @Test("lines that only look like it are not counted", arguments: imitations)
    func imitation(_ row: (String, String)) {
        #expect(parse(row.1, recoveryRoot: Self.root) == nil, "\(row.0)")
    }

    @Test("each failure counts once; other lines count nothing")
    func counting() {
        let failures = RecordWriteFailures(logger: Logger(label: "test"))
        let lines = [Self.failed("a"), Self.head + "nfs_try_lift_grace :STATE :EVENT :check grace:reclaim complete(0) clid count(1)"]
            .compactMap(GaneshaLogLine.init)
        failures.observe(lines[0], recoveryRoot: Self.root)
        failures.observe(lines[1], recoveryRoot: Self.root)
        failures.observe(lines[0], recoveryRoot: nil)
        #expect(failures.count == 2)
    }
}
