/// Read and write counters of one NFS version for one export or one client.
public struct IOStatistics: Sendable, Hashable {
    public let read: IOCounters
    public let write: IOCounters
    /// When counting started: Ganesha's start, or the last `ResetStats` or `EnableStats`.
    public let since: GaneshaTimestamp

    public init(read: IOCounters, write: IOCounters, since: GaneshaTimestamp) {
        self.read = read
        self.write = write
        self.since = since
    }

    /// Reads the `(tt)(tttttt)(tttttt)` that follows the status of `Get…IO`.
    init(reply: GaneshaReply) throws(GaneshaError) {
        self.init(
            read: try reply.decode(1, IOCounters.init(wire:)), write: try reply.decode(2, IOCounters.init(wire:)),
            since: try reply.decode(0, GaneshaTimestamp.init(wire:)))
    }
}
