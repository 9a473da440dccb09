import Synchronization

/// The one bounded wait of the package: a result, or nil once `limit` has passed.
///
/// The late side is abandoned, not awaited: what it waits on (a D-Bus call blocked in
/// libdbus, a wedged unmount, a child that ignores SIGTERM) cannot be cancelled, and a task
/// group would wait for it. Its result, when it comes, is dropped.
public enum Deadline {
    /// Waits at most `limit` for `task`; the task runs on when late.
    public static func value<T: Sendable>(of task: Task<T, Never>, within limit: Duration) async -> T? {
        await first(within: limit) { deliver in
            Task { deliver(await task.value) }
        }
    }

    /// Runs blocking `work` on a thread of its own (the shared executors may themselves be
    /// stuck in the step being worked around); nil when it did not return within `limit`.
    public static func blocking<T: Sendable>(
        within limit: Duration, threadName: String, _ work: @escaping @Sendable () -> T
    ) async -> T? {
        await first(within: limit) { deliver in
            DetachedThread.start(name: threadName) { deliver(work()) }
        }
    }

    /// The first of `start`'s delivery and the timer; `start` gets the function that
    /// delivers, which may be called from any thread, at most once counts.
    public static func first<T: Sendable>(
        within limit: Duration, _ start: (@escaping @Sendable (T) -> Void) -> Void
    ) async -> T? {
        let slot = ContinuationSlot<T?>()
        return await withCheckedContinuation { continuation in
            slot.fill(continuation)
            let timer = Task {
                try? await Task.sleep(for: limit)
                slot.resume(returning: nil)
            }
            // The value is handed over before the timer is cancelled: a cancelled sleep ends
            // at once, and the timer would otherwise race the value with its nil.
            start { value in
                slot.resume(returning: value)
                timer.cancel()
            }
        }
    }
}

/// A continuation resumed by whichever of two racers comes first; the second is a no-op.
private final class ContinuationSlot<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, Never>?>(nil)

    func fill(_ continuation: CheckedContinuation<T, Never>) { self.continuation.withLock { $0 = continuation } }

    func resume(returning value: T) { continuation.withLock { $0.take() }?.resume(returning: value) }
}
