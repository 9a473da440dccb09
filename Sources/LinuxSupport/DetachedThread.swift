import Glibc
import SystemPackage

/// A thread of its own for work that blocks for good (a reader loop, a waitpid), started
/// with pthreads so that nothing here needs Foundation's `Thread`: Foundation proper, with
/// ICU, is most of the binary's resident code, and FoundationEssentials has no threads.
public enum DetachedThread {
    private final class Body {
        let name: String
        let run: @Sendable () -> Void
        init(_ name: String, _ run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }

    /// Starts `body` on a new detached thread named `name` (as ps, top and gdb show it).
    /// A thread that cannot be created is a process without resources left: it traps.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(name, body)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            nameCurrentThread(body.name)
            body.run()
            return nil
        }, context)
        guard started == 0 else { fatalError("pthread_create failed: \(Errno(rawValue: started))") }
        pthread_detach(thread)
    }
}

/// Names the calling thread as the kernel sees it (ps, top, gdb, /proc). The kernel keeps
/// 15 bytes; pthread_setname_np and prctl do not import into Swift (a GNU extension, a
/// variadic function), so it goes through /proc.
public func nameCurrentThread(_ name: String) {
    // A name is a nicety for ps and gdb: a thread that cannot be named keeps the one it has.
    guard let fd = try? SystemCalls<SystemCallError>.open("/proc/thread-self/comm", O_WRONLY) else { return }
    defer { close(fd) }
    try? SystemCalls<SystemCallError>.write(fd, Array(name.utf8.prefix(15)), path: "/proc/thread-self/comm")
}

/// The kernel's name of the calling thread.
public func currentThreadName() -> String {
    ((try? SystemCalls<SystemCallError>.readFile("/proc/thread-self/comm")) ?? "").trimmed
}
