import Foundation
import Logging
@testable import ShareManager
@testable import Recovery
import Testing

/// Lines of Ganesha's stdout the grace tracker must survive: a crash here would take the
/// server down, a wrong parse would show a wrong grace state to operators and probes.
/// Lines reach the tracker as SupervisedProcess decoded them: invalid UTF-8 is U+FFFD.
@Suite("Grace tracker on hostile Ganesha output")
struct GraceTrackerHostileTests {
    struct Line: Sendable, CustomTestStringConvertible {
        let attack: String
        let text: String
        /// After the line: active, duration (s), reclaimed, recorded. Before it: 90 s of grace, 1 of 2 reclaimed.
        let expected: (active: Bool, duration: Int64, reclaimed: Int, recorded: Int)
        var testDescription: String { attack }
    }

    static let prefix = "22/11/2026 01:00:00 : epoch 6b0236d4 : vm : ganesha.nfsd-1[main] "
    static let start = prefix + "nfs_start_grace :STATE :EVENT :NFS Server Now IN GRACE, duration "
    static let check = prefix + "nfs_try_lift_grace :STATE :EVENT :check grace:reclaim complete("
    static let mebibyte = 1 << 20
    /// Unchanged: the line is not one the tracker reads.
    static let ignored = (active: true, duration: Int64(90), reclaimed: 1, recorded: 2)
    /// A new grace period whose duration could not be read: no time is promised.
    static let unreadableDuration = (active: true, duration: Int64(0), reclaimed: 0, recorded: 0)

    static let lines: [Line] = [
        Line(attack: "duration beyond Int64", text: start + "99999999999999999999999", expected: unreadableDuration),
        Line(attack: "negative duration", text: start + "-5", expected: unreadableDuration),
        Line(attack: "duration in Arabic-Indic digits", text: start + "\u{669}\u{660}", expected: unreadableDuration),
        Line(attack: "duration in superscript digits", text: start + "\u{B9}\u{B2}", expected: unreadableDuration),
        Line(attack: "invalid UTF-8 before the duration", text: start + "\u{FFFD}90", expected: unreadableDuration),
        Line(attack: "1 MiB of digits as duration", text: start + String(repeating: "9", count: mebibyte), expected: unreadableDuration),
        Line(attack: "carriage return after the duration", text: start + "45\r", expected: (true, 45, 0, 0)),
        Line(attack: "negative reclaim count", text: check + "-1) clid count(2)", expected: ignored),
        Line(attack: "count beyond Int64", text: check + "99999999999999999999) clid count(2)", expected: ignored),
        Line(attack: "empty parentheses", text: check + ") clid count()", expected: ignored),
        Line(attack: "closing parentheses missing", text: check + "1 clid count(3", expected: ignored),
        Line(attack: "counts in the wrong order", text: prefix + "clid count(7) reclaim complete(7)", expected: ignored),
        Line(attack: "opening only, at the end of the line", text: check, expected: ignored),
        Line(attack: "1 MiB line without a keyword", text: prefix + String(repeating: "x", count: mebibyte), expected: ignored),
        Line(attack: "1 MiB of 'reclaim complete('", text: String(repeating: "reclaim complete(", count: mebibyte / 17), expected: ignored),
        Line(attack: "invalid UTF-8 inside 'NOT IN GRACE'", text: prefix + "NFS Server Now NOT \u{FFFD}IN GRACE", expected: ignored),
        Line(attack: "U+FFFD in place of every byte", text: String(repeating: "\u{FFFD}", count: 4096), expected: ignored),
        Line(attack: "NUL and escape bytes", text: prefix + "\u{0}\u{1B}[2J check grace:reclaim \u{0}complete(1", expected: ignored),
    ]

    @Test("no crash, bounded time, and a sane state after the line", arguments: lines)
    func hostileLine(_ line: Line) {
        let tracker = GraceTracker(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let before = ContinuousClock.now
        tracker.observe(Self.start + "90")
        tracker.observe(Self.check + "1) clid count(2)")
        let started = ContinuousClock.now
        tracker.observe(line.text)
        #expect(ContinuousClock.now - started < .seconds(2), "one line took \(ContinuousClock.now - started)")
        let state = tracker.current
        #expect(state.active == line.expected.active)
        #expect(state.duration == .seconds(line.expected.duration))
        #expect(state.reclaimedClients == line.expected.reclaimed && state.recordedClients == line.expected.recorded,
                "reclaimed \(state.reclaimedClients) of \(state.recordedClients)")
        // `remaining` is clamped to 0...duration by construction; what can be wrong is the
        // start it counts from. Grace began after `before`, so at most the time since is gone.
        let remaining = state.remaining
        let since = ContinuousClock.now - before
        if state.active {
            #expect(remaining >= state.duration - since, "\(remaining) left of \(state.duration) after \(since)")
        } else {
            #expect(remaining == .zero)
        }
    }
}
