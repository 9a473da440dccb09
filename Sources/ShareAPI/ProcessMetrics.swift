import Glibc
import Prometheus
import Synchronization

/// One process as `/proc/PID/stat` describes it (proc(5)).
struct ProcessStat: Equatable, Sendable {
    /// `R`, `S`, `D`, `T`, `Z`, ...: a zombie has died and only waits to be reaped.
    var state: Character
    /// User plus system CPU time, in clock ticks.
    var cpuTicks: UInt64
    /// When it started, in clock ticks after boot: with the pid, says which incarnation it is.
    var startTicks: UInt64
    var residentPages: UInt64

    var isAlive: Bool { state != "Z" && state != "X" }

    /// Parses one `stat` line. The command name (field 2) may hold spaces and parentheses,
    /// so the fields are counted from the last `)`.
    init?(stat: String) {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the name: state is field 3, utime 14, stime 15, starttime 22, rss 24.
        guard fields.count >= 22, let state = fields[0].first,
              let user = UInt64(fields[11]), let system = UInt64(fields[12]),
              let start = UInt64(fields[19]), let rss = Int64(fields[21])
        else { return nil }
        self.state = state
        cpuTicks = user + system
        startTicks = start
        residentPages = UInt64(max(0, rss))
    }

    /// The live process `pid` (nil: this process), or nil when it is gone or a zombie.
    static func read(pid: pid_t?) -> ProcessStat? {
        let text = ProcFS.read("/proc/\(pid.map(String.init) ?? "self")/stat")
        return text.flatMap(ProcessStat.init(stat:)).flatMap { $0.isAlive ? $0 : nil }
    }
}

/// Small reads from /proc, without Foundation: every scrape does a few of them.
enum ProcFS {
    /// The whole file, or nil. /proc files report size 0, so this reads until end of file.
    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `btime` of `/proc/stat`: boot time in seconds since the epoch.
    static func bootTime(procStat: String) -> UInt64? {
        procStat.split(separator: "\n").first { $0.hasPrefix("btime ") }.flatMap { UInt64($0.dropFirst(6)) }
    }

    /// Entries of `/proc/PID/fd`; nil when the process is gone.
    static func openFDs(pid: pid_t?) -> Int? {
        guard let dir = opendir("/proc/\(pid.map(String.init) ?? "self")/fd") else { return nil }
        defer { closedir(dir) }
        var count = 0
        while let entry = readdir(dir) {
            let dot = withUnsafeBytes(of: entry.pointee.d_name) { $0.first == UInt8(ascii: ".") }
            if !dot { count += 1 }
        }
        // Reading our own folder holds one descriptor open that is not ours to report.
        return pid == nil ? count - 1 : count
    }
}

/// `share_manager_process_*{process}`: memory, CPU, descriptors and start of one process.
final class ProcessMetrics: Sendable {
    private let resident: Gauge
    private let openFDs: Gauge
    private let startTime: Gauge
    private let cpu: MonotonicFamily
    private let labels: [(String, String)]
    private let reading = Mutex(())
    private static let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))
    /// Clock ticks per second, the unit of CPU times in /proc.
    static let ticksPerSecond = UInt64(sysconf(Int32(_SC_CLK_TCK)))
    private static let bootTime = ProcFS.read("/proc/stat").flatMap(ProcFS.bootTime(procStat:)) ?? 0

    init(process label: String, volume: String, registry: PrometheusCollectorRegistry, cpu: MonotonicFamily) {
        self.cpu = cpu
        let labels = [("volume", volume), ("process", label)]
        self.labels = labels
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(namespace: "share_manager", metricName: name, unitName: "", helpText: help),
                labels: labels)
        }
        resident = gauge("process_resident_memory_bytes", "Resident memory of the process (RSS), from /proc.")
        openFDs = gauge("process_open_fds", "File descriptors the process holds open, from /proc.")
        startTime = gauge("process_start_time_seconds", "When the process started, in seconds since the Unix epoch.")
    }

    /// Reads the process from /proc and returns what it read; the gauges keep their last
    /// values when it is gone.
    @discardableResult
    func update(pid: pid_t?) -> ProcessStat? {
        // Read and recorded under one lock: a CPU time read earlier but recorded later by a
        // concurrent scrape would look like a restart and be counted twice.
        reading.withLock { _ in
            guard let stat = ProcessStat.read(pid: pid) else { return nil }
            record(stat, pid: pid)
            return stat
        }
    }

    private func record(_ stat: ProcessStat, pid: pid_t?) {
        resident.set(Double(stat.residentPages * Self.pageSize))
        startTime.set(Double(Self.bootTime) + Double(stat.startTicks) / Double(Self.ticksPerSecond))
        if let fds = ProcFS.openFDs(pid: pid) { openFDs.set(Double(fds)) }
        // In ticks, so the restart logic compares integers; a new start time is a new process.
        cpu.record(stat.cpuTicks, epoch: stat.startTicks, labels: labels)
    }
}
