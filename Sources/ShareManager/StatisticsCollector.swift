import GaneshaControl
import SupervisorInterface
import Synchronization

/// Part of the TEMPORARY bridge (see `RuntimeSupervisor`): Ganesha's statistics over D-Bus,
/// collected for a /metrics scrape within its bound.
///
/// A hung Ganesha costs a scrape at most `timeout`: the previous counters are returned
/// (stale but present) with `failed` set. One fetch runs at a time: later scrapes wait for
/// it rather than queue more calls behind a hung one (a connection's calls run one at a time).
final class StatisticsCollector: Sendable {
    private let inFlight = Mutex<Task<Bool, Never>?>(nil)
    /// The last counters Ganesha gave; a late fetch still updates them for the next scrape.
    private let last = Mutex<GaneshaCounters?>(nil)

    /// `incarnation` tells one Ganesha run from the next (it becomes the counters' epoch);
    /// `stillCurrent` says whether Ganesha `pid` is still that run once the answers are in.
    func collect(
        client: GaneshaClient?, pid: Int32?, incarnation: UInt64, timeout: Duration,
        stillCurrent: @escaping @Sendable (Int32) async -> Bool
    ) async -> (counters: GaneshaCounters?, failed: Bool) {
        // Nothing to ask while Ganesha does not run; share_manager_ganesha_up says so.
        guard let client, let pid else { return (nil, false) }
        let epoch = incarnation << 32 | UInt64(UInt32(bitPattern: pid))
        let fetch = inFlight.withLock { current in
            if let current { return current }
            let task = Task { await self.fetch(client, pid: pid, epoch: epoch, timeout: timeout, stillCurrent: stillCurrent) }
            current = task
            return task
        }
        let done = await Deadline.value(of: fetch, within: timeout) == true
        return (last.withLock { $0 }, !done)
    }

    /// Asks Ganesha and keeps the answers; runs to its end even when the scrape stopped
    /// waiting (late answers are kept then: counters only move on).
    private func fetch(
        _ client: GaneshaClient, pid: Int32, epoch: UInt64, timeout: Duration,
        stillCurrent: @Sendable (Int32) async -> Bool
    ) async -> Bool {
        defer { inFlight.withLock { $0 = nil } }
        // libdbus bounds each call too, so a hung Ganesha holds the shared connection for at
        // most `timeout` per call, and the first timeout ends the fetch.
        let bounded = GaneshaClient(
            connection: client.connection, busName: client.busName, callTimeout: min(timeout, client.callTimeout))
        do {
            let global = try await bounded.globalOperations()
            let io = try await bounded.allExportIO()
            let clients = try await bounded.showClients().count
            // Answers from a Ganesha that restarted meanwhile would get the old one's epoch.
            guard await stillCurrent(pid) else { return false }
            last.withLock { $0 = Self.counters(global: global, io: io, clients: clients, epoch: epoch) }
            return true
        } catch {
            return false
        }
    }

    static func counters(global: GlobalOperations, io: [ExportProtocolIO], clients: Int, epoch: UInt64) -> GaneshaCounters {
        var operations: [String: UInt64] = [:]
        for version in NFSVersion.allCases {
            if let count = global.counts[version.rawValue] { operations[versionLabel(version.rawValue)] = count }
        }
        func counters(_ io: IOCounters) -> GaneshaCounters.Counters {
            .init(transferredBytes: io.transferred, operations: io.operations, errors: io.errors, latencyNanoseconds: io.latencyNanoseconds)
        }
        return GaneshaCounters(
            epoch: epoch, operations: operations,
            io: io.map {
                .init(exportID: $0.exportID, nfsVersion: versionLabel($0.protocolName),
                      read: counters($0.statistics.read), write: counters($0.statistics.write))
            },
            clientsConnected: clients)
    }

    /// `NFSv41` → `4.1`, `NFSv3` → `3`: the version as people write it.
    static func versionLabel(_ name: String) -> String {
        let digits = name.hasPrefix("NFSv") ? name.dropFirst(4) : Substring(name)
        return digits.count == 2 ? "\(digits.prefix(1)).\(digits.suffix(1))" : String(digits)
    }
}

/// Waits at most `timeout` for `task` and returns nil when it is late. The task is left
/// running, not awaited: a D-Bus call blocked in libdbus cannot be cancelled, and a scrape
/// must not wait for it (a task group would, for its children).
enum Deadline {
    static func value<T: Sendable>(of task: Task<T, Never>, within timeout: Duration) async -> T? {
        let slot = ContinuationSlot<T?>()
        return await withCheckedContinuation { continuation in
            slot.fill(continuation)
            let timer = Task { try? await Task.sleep(for: timeout); slot.resume(returning: nil) }
            Task {
                let result = await task.value
                timer.cancel()
                slot.resume(returning: result)
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
