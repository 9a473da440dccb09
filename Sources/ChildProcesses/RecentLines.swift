import Synchronization

/// The last few lines a child printed, kept so that a child that dies at start can be
/// reported with its own last words instead of "look further up the log".
final class RecentLines: Sendable {
    private struct State {
        var lines: [String] = []
        var ended = false
        var endObservers: [@Sendable () -> Void] = []
    }
    private let state = Mutex(State())
    private let keep: Int
    /// A line is another program's text: long ones are cut and control characters shown as
    /// `?`, so that a report that quotes it stays one readable line.
    private static let maxLineLength = 300

    init(keep: Int) { self.keep = keep }

    func append(_ line: String) {
        let printable = String(String.UnicodeScalarView(line.unicodeScalars.prefix(Self.maxLineLength).map {
            $0.value < 0x20 || $0.value == 0x7F ? "?" : $0
        }))
        state.withLock { state in
            state.lines.append(printable)
            if state.lines.count > keep { state.lines.removeFirst(state.lines.count - keep) }
        }
    }

    /// The child's output pipe reached its end: no line is still on its way.
    func end() {
        let observers = state.withLock { state in
            state.ended = true
            defer { state.endObservers = [] }
            return state.endObservers
        }
        observers.forEach { $0() }
    }

    /// Calls `observer` once the pipe has ended (at once if it has).
    func onEnd(_ observer: @escaping @Sendable () -> Void) {
        let ended = state.withLock { state in
            if !state.ended { state.endObservers.append(observer) }
            return state.ended
        }
        if ended { observer() }
    }

    var snapshot: (lines: [String], ended: Bool) { state.withLock { ($0.lines, $0.ended) } }
}
