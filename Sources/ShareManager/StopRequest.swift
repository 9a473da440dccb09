import Synchronization

/// SIGTERM and SIGINT as the lifecycle sees them. The first asks for an orderly stop, which
/// the lifecycle checks between steps that cannot be interrupted (a format, a check, a
/// mount). A second one, whenever it comes, says the operator will not wait: the tear-down
/// listens for it with `secondSignal()` and skips what is left.
final class StopRequest: Sendable {
    private struct State {
        /// The first two; later ones change nothing.
        var signals: [Int32] = []
        var count = 0
        var waiters: [UInt64: CheckedContinuation<Int32?, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    func request(_ sig: Int32) {
        let (waiters, second) = state.withLock { state -> ([CheckedContinuation<Int32?, Never>], Int32?) in
            state.count += 1
            guard state.signals.count < 2 else { return ([], nil) }
            state.signals.append(sig)
            guard state.signals.count == 2 else { return ([], nil) }
            defer { state.waiters = [:] }
            return (Array(state.waiters.values), state.signals[1])
        }
        waiters.forEach { $0.resume(returning: second) }
    }

    var isRequested: Bool { state.withLock { !$0.signals.isEmpty } }

    /// How many stop signals arrived so far.
    var count: Int { state.withLock { $0.count } }

    /// Returns the second signal once it arrives (at once when it already has), or nil when
    /// the waiting task is cancelled first.
    func secondSignal() async -> Int32? {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Int32?? in
                    if state.signals.count >= 2 { return .some(state.signals[1]) }
                    // A cancellation that came before we parked found nothing to resume.
                    if Task.isCancelled { return .some(nil) }
                    state.waiters[id] = continuation
                    return .none
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: nil)
        }
    }
}
