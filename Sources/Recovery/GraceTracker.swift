import FoundationEssentials
import Glibc
import Logging
import Synchronization

/// What Ganesha says about its grace period, read from its own log lines: `get_grace`
/// answers only yes or no, and the log is the one place that counts reclaims
/// (`check grace:reclaim complete(N) clid count(M)`).
public final class GraceTracker: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var active = false
        public var started: ContinuousClock.Instant?
        public var duration: Duration = .zero
        /// Client records Ganesha loaded from the recovery store for this grace period.
        public var recordedClients = 0
        /// Of those, how many have sent RECLAIM_COMPLETE.
        public var reclaimedClients = 0
        /// Recorded clients that have not reclaimed yet (their record is still only in v4old).
        public var pending: [String] = []

        public var remaining: Duration {
            guard active, let started else { return .zero }
            return max(.zero, duration - (ContinuousClock.now - started))
        }
    }

    private let snapshot = Mutex(Snapshot())
    private let recoveryRoot = Mutex<String?>(nil)
    private let expectedEpoch = Mutex<UInt32?>(nil)
    private let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    /// Where Ganesha keeps the records, so that the tracker can tell which clients are missing.
    public func watch(recoveryRoot root: String) { recoveryRoot.withLock { $0 = root } }

    /// The recovery store in use, once start-up has checked it.
    public var watchedRoot: String? { recoveryRoot.withLock { $0 } }

    public var current: Snapshot { snapshot.withLock { $0 } }

    /// Lines of another Ganesha (an earlier epoch) say nothing about this one.
    public func expect(epoch: UInt32) { expectedEpoch.withLock { $0 = epoch } }

    /// Fed every line Ganesha prints. A line counts only when its header says Ganesha's
    /// grace code wrote it (function, component STATE, level EVENT) and its message is the
    /// whole report: text a client got into a message elsewhere is never read as one.
    public func observe(_ line: String) {
        guard let line = GaneshaLogLine(line) else { return }
        observe(line)
    }

    public func observe(_ line: GaneshaLogLine) {
        guard line.component == "STATE", line.level == "EVENT",
              expectedEpoch.withLock({ $0.map { UInt64($0) == line.epoch } ?? true }) else { return }
        switch line.function {
        case "nfs_start_grace":
            guard line.message.hasPrefix(Self.startText) else { return }
            started(seconds: Self.number(line.message.dropFirst(Self.startText.count)) ?? 0)
        case "nfs_try_lift_grace":
            guard let counts = Self.reclaimCounts(in: line.message) else { return }
            let pending = pendingClients()
            snapshot.withLock {
                $0.reclaimedClients = counts.reclaimed
                $0.recordedClients = counts.recorded
                $0.pending = pending
            }
        case "nfs_lift_grace_locked" where line.message == "NFS Server Now NOT IN GRACE":
            ended()
        default:
            return
        }
    }

    public static let startText = "NFS Server Now IN GRACE, duration "

    private func started(seconds: Int) {
        snapshot.withLock {
            $0.active = true
            $0.started = .now
            $0.duration = .seconds(seconds)
            $0.recordedClients = 0
            $0.reclaimedClients = 0
        }
        logger.notice("grace period started: only reclaims are served until it ends", metadata: ["durationSeconds": .stringConvertible(seconds)])
    }

    private func ended() {
        let ended = snapshot.withLock { state -> Snapshot in
            defer { state.active = false }
            return state
        }
        let lasted = ended.started.map { ContinuousClock.now - $0 } ?? .zero
        logger.notice("grace period ended", metadata: [
            "afterSeconds": .stringConvertible((lasted / .milliseconds(100)).rounded() / 10),
            "reclaimed": .stringConvertible(ended.reclaimedClients), "recorded": .stringConvertible(ended.recordedClients),
            "configuredSeconds": .stringConvertible(ended.duration.components.seconds),
            "notReclaimed": "\(ended.pending.joined(separator: ", "))",
        ])
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

    /// The whole message `check grace:reclaim complete(N) clid count(M)`, nothing around it.
    public static func reclaimCounts(in message: Substring) -> (reclaimed: Int, recorded: Int)? {
        let opening = "check grace:reclaim complete("
        guard message.hasPrefix(opening), message.hasSuffix(")"),
              let middle = message.firstRange(of: ") clid count(") else { return nil }
        let reclaimed = number(message[message.index(message.startIndex, offsetBy: opening.count)..<middle.lowerBound])
        let recorded = number(message[middle.upperBound..<message.index(before: message.endIndex)])
        guard let reclaimed, let recorded else { return nil }
        return (reclaimed, recorded)
    }

    /// Ganesha prints counts with `%d`: ASCII digits only, and at most an Int's worth.
    public static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }
}
