import LinuxSupport
import FoundationEssentials
import GaneshaControl
import Glibc
import SupervisorInterface
import Synchronization

/// Ganesha's statistics over D-Bus, for /metrics, within a bound. A hung Ganesha costs a
/// scrape at most `timeout`; the previous counters are kept and the scrape says it failed.
final class StatisticsCollector: Sendable {
    private struct State {
        /// The fetch under way: later scrapes wait for it rather than queue more calls behind
        /// a hung one (a connection's calls run one at a time, and the probes use it too).
        var inFlight: Task<GaneshaCounters?, Never>?
        var last: GaneshaCounters?
    }

    private let state = Mutex(State())

    /// The counters, fresh or (with `failed`) the last ones; nil while Ganesha has never answered.
    func collect(client: GaneshaClient?, pid: pid_t?, timeout: Duration) async -> (GaneshaCounters?, failed: Bool) {
        guard let client, let pid, let epoch = ProcessStart.ticks(pid: pid) else { return (nil, false) }
        let fetch = state.withLock { state in
            if let running = state.inFlight { return running }
            let task = Task { await Self.fetch(client, pid: pid, epoch: epoch) }
            state.inFlight = task
            return task
        }
        let fresh = await Deadline.value(of: fetch, within: timeout) ?? nil
        return state.withLock { state in
            if state.inFlight == fetch { state.inFlight = nil }
            if let fresh { state.last = fresh }
            return (state.last, fresh == nil)
        }
    }

    /// Asks Ganesha; runs to its end even when the scrape stopped waiting.
    private static func fetch(_ client: GaneshaClient, pid: pid_t, epoch: UInt64) async -> GaneshaCounters? {
        do {
            let global = try await client.globalOperations()
            let io = try await client.allExportIO()
            let clients = try await client.showClients().count
            // Answers from a Ganesha that restarted meanwhile would get the old one's epoch.
            guard ProcessStart.ticks(pid: pid) == epoch else { return nil }
            return counters(global: global, io: io, clients: clients, epoch: epoch)
        } catch {
            return nil
        }
    }

    /// Ganesha's answers as plain values. Only NFS versions present: a missing one read as 0
    /// would look like a restart.
    static func counters(global: GlobalOperations, io: [ExportProtocolIO], clients: Int, epoch: UInt64) -> GaneshaCounters {
        var operations: [String: UInt64] = [:]
        for version in NFSVersion.allCases {
            if let count = global.counts[version.rawValue] { operations[versionLabel(version.rawValue)] = count }
        }
        func counters(_ raw: IOCounters) -> GaneshaCounters.Counters {
            .init(transferredBytes: raw.transferred, operations: raw.operations, errors: raw.errors, latencyNanoseconds: raw.latencyNanoseconds)
        }
        let exports = io.map {
            GaneshaCounters.ExportIO(
                exportID: $0.exportID, nfsVersion: versionLabel($0.protocolName),
                read: counters($0.statistics.read), write: counters($0.statistics.write))
        }
        return GaneshaCounters(epoch: epoch, operations: operations, io: exports, clientsConnected: clients)
    }

    /// `NFSv41` → `4.1`, `NFSv3` → `3`: the version as people write it.
    static func versionLabel(_ name: String) -> String {
        let digits = name.hasPrefix("NFSv") ? name.dropFirst(4) : Substring(name)
        return digits.count == 2 ? "\(digits.prefix(1)).\(digits.suffix(1))" : String(digits)
    }
}

/// A process's start time in clock ticks after boot (field 22 of /proc/PID/stat): with the
/// pid, it tells one Ganesha from the next.
enum ProcessStart {
    static func ticks(pid: pid_t) -> UInt64? {
        // No such process (it just ended) is an answer: nil.
        guard let text = try? SystemCalls<SystemCallError>.readFile("/proc/\(pid)/stat"),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after the command name, which may hold spaces and parentheses: state is field 3.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }
}
