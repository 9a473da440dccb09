import Foundation
import GaneshaConfig
import Supervision

/// When to restart a Ganesha that died, and when to stop trying: a crash loop is better
/// handled by Kubernetes replacing the Pod (perhaps on another node) than by us.
struct RestartPolicy {
    /// Restarts allowed within `window`; one more death and share-manager exits non-zero.
    static let limit = 5
    static let window: Duration = .seconds(300)

    private var deaths: [ContinuousClock.Instant] = []

    /// Records a death; returns how long to wait before restarting, or nil to give up.
    /// The first restart is immediate (clients are waiting), then 1, 2, 4, 8 s.
    mutating func recordDeath(at now: ContinuousClock.Instant = .now) -> Duration? {
        deaths = deaths.filter { now - $0 < Self.window } + [now]
        guard deaths.count <= Self.limit else { return nil }
        return deaths.count == 1 ? .zero : .seconds(1 << (deaths.count - 2))
    }
}

extension Lifecycle {
    /// Starts Ganesha again on the same mount and bus and re-adds the export (exports added
    /// over D-Bus do not survive a restart). The recovery store is untouched, so clients
    /// reclaim. A failed attempt ends as another exit event, which the policy counts.
    func restartGanesha(
        _ started: Started, after delay: Duration, sink: AsyncStream<ShareManagerRuntime.Event>.Continuation
    ) async {
        await state.ganeshaRestarting()
        if delay > .zero { try? await Task.sleep(for: delay) }
        guard !stop.isRequested, let busAddress = started.busAddress else { return }
        started.ganesha = nil
        do {
            try await startGanesha(started, busAddress: busAddress, sink: sink)
            try await addExport(started)
            await state.ganeshaServingAgain()
            logger.notice("Ganesha restarted in place; clients reclaim during its grace period")
        } catch {
            logger.error("restarting Ganesha failed: \(error)")
            if let ganesha = started.ganesha, ganesha.isRunning {
                // Its exit event, when it comes, counts as this failure.
                await ganesha.terminate(grace: .seconds(5))
            } else if started.ganesha?.exitStatus == nil {
                sink.yield(.ganeshaExited("could not be started (\(error))"))
            }
        }
    }
}
