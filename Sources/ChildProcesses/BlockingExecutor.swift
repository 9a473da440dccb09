import Dispatch
import FoundationEssentials
import Glibc
import LinuxSupport
import Synchronization

/// A task executor with one thread of its own, for work that blocks (mkfs, fsck, mount and
/// the other device tools run to completion synchronously).
///
/// Swift's cooperative pool has one thread per core, two here: a blocked one halves the
/// capacity left for the HTTP probes and the bus start that run meanwhile. Work placed here
/// with `withTaskExecutorPreference` blocks this thread instead.
public final class BlockingExecutor: TaskExecutor, Sendable {
    private let jobs = Mutex<[UnownedJob]>([])
    private let wakeup = DispatchSemaphore(value: 0)

    public init(name: String) {
        DetachedThread.start(name: name) { [self] in
            while true {
                wakeup.wait()
                guard let job = jobs.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { continue }
                job.runSynchronously(on: asUnownedTaskExecutor())
            }
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        jobs.withLock { $0.append(unowned) }
        wakeup.signal()
    }
}
