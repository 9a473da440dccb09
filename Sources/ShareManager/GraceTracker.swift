import FoundationEssentials
import Glibc
import Logging
import Synchronization

/// What Ganesha says about its grace period, read from its own log lines: `get_grace`
/// answers only yes or no, and the log is the one place that counts reclaims
/// (`check grace:reclaim complete(N) clid count(M)`).
final class GraceTracker: Sendable {
    struct Snapshot: Sendable, Equatable {
        var active = false
        var started: ContinuousClock.Instant?
        var duration: Duration = .zero
        /// Client records Ganesha loaded from the recovery store for this grace period.
        var recordedClients = 0
        /// Of those, how many have sent RECLAIM_COMPLETE.
        var reclaimedClients = 0
        /// Recorded clients that have not reclaimed yet (their record is still only in v4old).
        var pending: [String] = []

        var remaining: Duration {
            guard active, let started else { return .zero }
            return max(.zero, duration - (ContinuousClock.now - started))
        }
    }

    private let snapshot = Mutex(Snapshot())
    private let recoveryRoot = Mutex<String?>(nil)
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Where Ganesha keeps the records, so that the tracker can tell which clients are missing.
    func watch(recoveryRoot root: String) { recoveryRoot.withLock { $0 = root } }

    /// The recovery store in use, once start-up has checked it.
    var watchedRoot: String? { recoveryRoot.withLock { $0 } }

    var current: Snapshot { snapshot.withLock { $0 } }

    /// Fed every line Ganesha prints.
    func observe(_ line: String) {
        if let range = line.firstRange(of: "NFS Server Now IN GRACE, duration ") {
            let seconds = Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
            snapshot.withLock {
                $0.active = true
                $0.started = .now
                $0.duration = .seconds(seconds)
                $0.recordedClients = 0
                $0.reclaimedClients = 0
            }
            logger.notice("grace period started: only reclaims are served until it ends", metadata: ["duration": "\(seconds) s"])
        } else if let counts = Self.reclaimCounts(in: line) {
            let pending = pendingClients()
            snapshot.withLock {
                $0.reclaimedClients = counts.reclaimed
                $0.recordedClients = counts.recorded
                $0.pending = pending
            }
        } else if line.contains("NFS Server Now NOT IN GRACE") {
            let ended = snapshot.withLock { state -> Snapshot in
                defer { state.active = false }
                return state
            }
            let lasted = ended.started.map { ContinuousClock.now - $0 } ?? .zero
            logger.notice("grace period ended", metadata: [
                "after": "\(Self.seconds(lasted))",
                "reclaimed": "\(ended.reclaimedClients)", "recorded": "\(ended.recordedClients)",
                "configured": "\(ended.duration.components.seconds) s",
                "notReclaimed": "\(ended.pending.joined(separator: ", "))",
            ])
        }
    }

    /// At start Ganesha moves every record into `v4old` and re-creates, in `v4recov`, the
    /// record of each client that reclaims: the difference names who is still missing.
    private func pendingClients() -> [String] {
        guard let root = recoveryRoot.withLock({ $0 }) else { return [] }
        let names = { (generation: String) in
            Set((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(generation)/node0")) ?? [])
        }
        return names("v4old").subtracting(names("v4recov")).sorted()
    }

    /// `check grace:reclaim complete(N) clid count(M)`.
    static func reclaimCounts(in line: String) -> (reclaimed: Int, recorded: Int)? {
        guard let complete = line.firstRange(of: "reclaim complete("),
              let count = line[complete.upperBound...].firstRange(of: "clid count(") else { return nil }
        let reclaimed = Int(line[complete.upperBound...].prefix { $0.isNumber })
        let recorded = Int(line[count.upperBound...].prefix { $0.isNumber })
        guard let reclaimed, let recorded else { return nil }
        return (reclaimed, recorded)
    }

    /// "12.3 s": one decimal, without a locale (Foundation's unit formatting needs ICU).
    static func seconds(_ duration: Duration) -> String {
        let tenths = (duration / .milliseconds(100)).rounded()
        return "\(Int(tenths) / 10).\(Int(tenths) % 10) s"
    }
}
