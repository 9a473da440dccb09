@testable import Supervisor
import Testing

/// A problem found at every poll is logged when it appears, changes or clears, and as a
/// reminder at most once per interval.
@Suite("repeated problems")
struct RepeatedProblemTests {
    @Test("12 polls of one problem: one line, then a reminder only after the interval, then the change with its count")
    func repeatsAreCounted() {
        var problem = RepeatedProblem(reminder: .seconds(600))
        let start = ContinuousClock.now
        #expect(problem.note("online grow failed", now: start).map(\.message) == ["online grow failed"])
        for poll in 1..<12 { #expect(problem.note("online grow failed", now: start + .seconds(5 * poll)).isEmpty) }
        let reminder = problem.note("online grow failed", now: start + .seconds(600))
        #expect(reminder.map(\.message) == ["online grow failed (still: seen 13 times in 600 s)"])
        #expect(reminder.first?.level == .warning)
        #expect(problem.note("online grow failed", now: start + .seconds(605)).isEmpty)
        let changed = problem.note("size check failed", now: start + .seconds(660))
        #expect(changed.map(\.message) == ["no longer: online grow failed (seen 14 times in 660 s)", "size check failed"])
        let cleared = problem.note(nil, now: start + .seconds(670))
        #expect(cleared.map(\.message) == ["resolved: size check failed (seen 1 time in 10 s)"])
        #expect(cleared.first?.level == .notice)
        #expect(problem.note(nil, now: start + .seconds(675)).isEmpty)
    }
}
