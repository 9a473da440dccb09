import LinuxSupport
import FoundationEssentials
import GaneshaControl
import Glibc
import SupervisorInterface
import Synchronization

/// Ganesha's statistics over D-Bus, for /metrics, within a bound. A hung Ganesha costs a
/// scrape at most `timeout` in all: the export count is asked in the same bounded fetch
/// (asked apart, with its own bound, it had added 1 s to each hung scrape: 3 s measured).
/// The previous counters are kept and the scrape says it failed.
final class StatisticsCollector: Sendable {
    private struct State {
        /// The fetch under way: later scrapes wait for it rather than queue more calls behind
        /// a hung one (a connection's calls run one at a time, and the probes use it too).
        /// It clears itself when it ends, late or not.
        var inFlight: Task<GaneshaCounters?, Never>?
        /// The last counters any fetch got, a late one included.
        var last: GaneshaCounters?
        /// The export count the current (or last) fetch got; asked first, it is shown even
        /// when the statistics after it are late.
        var exports: Int?
    }

    private let state = Mutex(State())
    /// The NFS versions Ganesha serves ("4.1", "4.2", and "4.0" with --enable-nfsv40):
    /// Ganesha counts every version it knows, served or not, and zero series of a protocol
    /// that is off only mislead.
    private let served: Set<String>

    init(servingNFSv40: Bool) {
        served = Self.servedVersions(nfsv40: servingNFSv40)
    }

    static func servedVersions(nfsv40: Bool) -> Set<String> {
        nfsv40 ? ["4.0", "4.1", "4.2"] : ["4.1", "4.2"]
    }

    /// The counters, fresh or (with `failed`) the last ones, nil while Ganesha has never
    /// answered; the export count when the fetch waited for got it.
    func collect(client: GaneshaClient?, pid: pid_t?, timeout: Duration) async -> (GaneshaCounters?, exportsActive: Int?, failed: Bool) {
        guard let client, let pid, let epoch = ProcessStart.ticks(pid: pid) else { return (nil, nil, false) }
        let fetch = state.withLock { state in
            if let running = state.inFlight { return running }
            state.exports = nil
            let task = Task {
                let counters = await self.fetch(client, pid: pid, epoch: epoch)
                self.state.withLock { state in
                    if let counters { state.last = counters }
                    state.inFlight = nil
                }
                return counters
            }
            state.inFlight = task
            return task
        }
        let fresh = await Deadline.value(of: fetch, within: timeout) ?? nil
        return state.withLock { ($0.last, $0.exports, fresh == nil) }
    }

    /// Asks Ganesha; runs to its end even when the scrape stopped waiting. The cheap export
    /// list goes first: a hung Ganesha fails it, and the fetch ends there.
    private func fetch(_ client: GaneshaClient, pid: pid_t, epoch: UInt64) async -> GaneshaCounters? {
        do {
            let exports = try await client.showExports().filter { $0.id != 0 }.count
            // Answers from a Ganesha that restarted meanwhile would get the old one's epoch.
            guard ProcessStart.ticks(pid: pid) == epoch else { return nil }
            state.withLock { $0.exports = exports }
            let global = try await client.globalOperations()
            let io = try await client.allExportIO()
            let clients = try await client.showClients()
            guard ProcessStart.ticks(pid: pid) == epoch else { return nil }
            return Self.counters(global: global, io: io, clients: NFSClients.served(clients).count, epoch: epoch, served: served)
        } catch {
            return nil
        }
    }

    /// Ganesha's answers as plain values, for the NFS versions `served` only. Only versions
    /// present: a missing one read as 0 would look like a restart.
    static func counters(
        global: GlobalOperations, io: [ExportProtocolIO], clients: Int, epoch: UInt64, served: Set<String>
    ) -> GaneshaCounters {
        var operations: [String: UInt64] = [:]
        for version in NFSVersion.allCases where served.contains(versionLabel(version.rawValue)) {
            if let count = global.counts[version.rawValue] { operations[versionLabel(version.rawValue)] = count }
        }
        func counters(_ raw: IOCounters) -> GaneshaCounters.Counters {
            .init(transferredBytes: raw.transferred, operations: raw.operations, errors: raw.errors, latencyNanoseconds: raw.latencyNanoseconds)
        }
        let exports = io.filter { served.contains(versionLabel($0.protocolName)) }.map {
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
