import DBusKit

/// Which statistics Ganesha is counting, from `exportstats.StatusStats`.
public struct StatisticsStatus: Sendable, Hashable {
    /// One kind of statistics: whether it is on, and since when.
    public struct Counting: Sendable, Hashable {
        public let enabled: Bool
        public let since: GaneshaTimestamp

        public init(enabled: Bool, since: GaneshaTimestamp) {
            self.enabled = enabled
            self.since = since
        }

        init?(wire: DBusValue) {
            guard let fields = wire.fields, fields.count == 2, let enabled = fields[0].bool,
                  let since = GaneshaTimestamp(wire: fields[1])
            else { return nil }
            self.init(enabled: enabled, since: since)
        }
    }

    /// Basic per-export and per-client NFS counters: on by default.
    public let nfs: Counting
    public let fsal: Counting
    public let nfsv3Detail: Counting
    public let nfsv4Detail: Counting
    public let auth: Counting
    public let clientAllOperations: Counting

    /// Reads the six `(b(tt))` that follow the status, in Ganesha's order. The introspection
    /// data claims a flat `b(tt)` list; 4.3 sends structures.
    init(reply: GaneshaReply) throws(GaneshaError) {
        nfs = try reply.decode(0, Counting.init(wire:))
        fsal = try reply.decode(1, Counting.init(wire:))
        nfsv3Detail = try reply.decode(2, Counting.init(wire:))
        nfsv4Detail = try reply.decode(3, Counting.init(wire:))
        auth = try reply.decode(4, Counting.init(wire:))
        clientAllOperations = try reply.decode(5, Counting.init(wire:))
    }
}
