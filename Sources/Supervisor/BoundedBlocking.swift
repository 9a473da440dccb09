import FoundationEssentials
import Glibc
import LinuxSupport

/// Blocking work that must not hold up an exit: it gets a thread of its own (the device
/// executor may itself be stuck in the step we are working around), and the caller waits
/// only so long.
enum BoundedBlocking {
    /// Runs `work` on a new thread; returns its result, or nil when it did not return within
    /// `limit` (it then runs on, unobserved).
    static func run<T: Sendable>(within limit: Duration, _ work: @escaping @Sendable () -> T) async -> T? {
        let (results, report) = AsyncStream.makeStream(of: T?.self)
        DetachedThread.start(name: "sm-bounded") { report.yield(work()) }
        let timer = Task {
            // Cancelled when the work answered first; the check below sees it.
            try? await Task.sleep(for: limit)
            if !Task.isCancelled { report.yield(nil) }
        }
        var iterator = results.makeAsyncIterator()
        let first = await iterator.next() ?? nil
        timer.cancel()
        report.finish()
        return first
    }
}
