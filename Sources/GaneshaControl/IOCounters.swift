import DBusKit

/// Ganesha's counters for one direction (reads or writes) of one protocol, from `(tttttt)`.
public struct IOCounters: Sendable, Hashable {
    /// Bytes clients asked to read or write.
    public let requested: UInt64
    /// Bytes actually read or written.
    public let transferred: UInt64
    /// READ or WRITE operations.
    public let operations: UInt64
    /// Operations that failed.
    public let errors: UInt64
    /// Time spent in these operations, summed, in nanoseconds. Export statistics only:
    /// 4.3 reports 0 for clients.
    public let latencyNanoseconds: UInt64

    public init(requested: UInt64, transferred: UInt64, operations: UInt64, errors: UInt64, latencyNanoseconds: UInt64) {
        self.requested = requested
        self.transferred = transferred
        self.operations = operations
        self.errors = errors
        self.latencyNanoseconds = latencyNanoseconds
    }

    /// Reads the structure: five counters, then a queue-wait field that 4.3 always sends as 0
    /// (and that is therefore not kept). Nil unless it starts with five `t`.
    init?(wire: DBusValue) {
        guard let fields = wire.fields, fields.count >= 5 else { return nil }
        let counters = fields.prefix(5).compactMap(\.uint64)
        guard counters.count == 5 else { return nil }
        self.init(
            requested: counters[0], transferred: counters[1], operations: counters[2], errors: counters[3],
            latencyNanoseconds: counters[4])
    }
}
