import Prometheus
import Synchronization

/// One series fed with raw readings that restart from zero when their source restarts
/// (Ganesha's statistics, a process's CPU time), exported as `offset + raw`.
///
/// A restart shows as a reading below the last one, or as a new `epoch` (the source's start
/// time): the latter also catches a restarted source that has already counted past the old
/// reading. Either way the last reading is folded into the offset, so the total never
/// goes down.
struct MonotonicValue: Equatable, Sendable {
    private(set) var offset: UInt64 = 0
    private(set) var lastRaw: UInt64 = 0
    private(set) var epoch: UInt64?

    /// What is exported: saturates rather than traps or wraps (wrapping would go down).
    var total: UInt64 { Self.add(offset, lastRaw) }

    /// Takes a reading; returns how much ``total`` grew. Never negative, so it is always a
    /// valid `Counter.increment(by:)` amount (that traps on a negative one): without a restart
    /// `raw >= lastRaw`; after one the old total becomes the offset and `raw` adds to it.
    mutating func advance(to raw: UInt64, epoch: UInt64? = nil) -> UInt64 {
        let before = total
        let restarted = raw < lastRaw || (epoch != nil && self.epoch != nil && epoch != self.epoch)
        if restarted { offset = before }
        lastRaw = raw
        if let epoch { self.epoch = epoch }
        return total - before
    }

    private static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}

/// A counter family whose series follow ``MonotonicValue``s; series appear on first reading.
final class MonotonicFamily: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let name: String
    private let unit: String
    private let help: String
    /// Raw units per exported unit: 1 for counts and bytes, 1e9 for nanoseconds as seconds.
    private let rawPerUnit: UInt64
    private let series = Mutex<[[String]: (counter: Counter, value: MonotonicValue)]>([:])

    init(_ registry: PrometheusCollectorRegistry, _ name: String, unit: String, rawPerUnit: UInt64 = 1, help: String) {
        self.registry = registry
        self.name = name
        self.unit = unit
        self.help = help
        self.rawPerUnit = rawPerUnit
    }

    func record(_ raw: UInt64, epoch: UInt64?, labels: [(String, String)]) {
        let key = labels.map { "\($0.0)=\($0.1)" }
        series.withLock { all in
            var entry = all[key] ?? (
                registry.makeCounter(
                    descriptor: MetricNameDescriptor(namespace: "share_manager", metricName: name, unitName: unit, helpText: help),
                    labels: labels),
                MonotonicValue()
            )
            let grown = entry.value.advance(to: raw, epoch: epoch)
            all[key] = entry
            guard grown > 0 else { return }
            if rawPerUnit == 1 {
                entry.counter.increment(by: Int64(clamping: grown))
            } else {
                entry.counter.increment(by: Double(grown) / Double(rawPerUnit))
            }
        }
    }
}
