import Logging

/// A problem a poll finds again and again (a failed online grow every 5 s): logged when it
/// first appears, when it changes or clears (with how often it was seen meanwhile), and
/// otherwise at most once per `reminder` while it lasts, so that it neither floods the log
/// nor vanishes from it.
struct RepeatedProblem: Sendable {
    static let defaultReminder: Duration = .seconds(600)

    let reminder: Duration
    private(set) var current: String?
    private var seen = 0
    private var since: ContinuousClock.Instant = .now
    private var lastLogged: ContinuousClock.Instant = .now

    init(reminder: Duration = Self.defaultReminder) {
        self.reminder = reminder
    }

    /// What to log, if anything, for `problem` found at `now` (nil: the problem is gone).
    mutating func note(_ problem: String?, now: ContinuousClock.Instant = .now) -> [(level: Logger.Level, message: String)] {
        if problem == current {
            guard let problem else { return [] }
            seen += 1
            guard now - lastLogged >= reminder else { return [] }
            lastLogged = now
            return [(.warning, "\(problem) (still: \(summary(now: now)))")]
        }
        var lines: [(level: Logger.Level, message: String)] = []
        if let old = current {
            lines.append(problem == nil
                ? (.notice, "resolved: \(old) (\(summary(now: now)))")
                : (.notice, "no longer: \(old) (\(summary(now: now)))"))
        }
        current = problem
        seen = 1
        since = now
        lastLogged = now
        if let problem { lines.append((.warning, problem)) }
        return lines
    }

    private func summary(now: ContinuousClock.Instant) -> String {
        "seen \(seen) \(seen == 1 ? "time" : "times") in \(Int((now - since) / .seconds(1))) s"
    }
}
