import NIOPosix

/// Runs blocking `work` (statvfs of a served mount, a connect, a read of /proc) on NIO's
/// thread pool, so that it never holds one of the cooperative pool's threads, of which this
/// machine has two. NIO's pool rather than threads of our own: it is already running for
/// the HTTP server and sized for exactly this.
public func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    do {
        return try await NIOThreadPool.singleton.runIfActive(work)
    } catch {
        // Only a pool that was shut down refuses, and the singleton never is.
        return work()
    }
}
