import Dispatch

/// Runs blocking `work` on a Dispatch thread and waits for it without holding a cooperative
/// thread: Dispatch adds threads while its own are blocked, Swift's cooperative pool does not.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}
