import DBusKit

/// One entry of `GetNFSIO`: the I/O of one export over one NFS version that it has served.
public struct ExportProtocolIO: Sendable, Hashable {
    public let exportID: UInt16
    /// The version as Ganesha names it, e.g. `NFSv41` (see ``NFSVersion``).
    public let protocolName: String
    public let statistics: IOStatistics

    public init(exportID: UInt16, protocolName: String, statistics: IOStatistics) {
        self.exportID = exportID
        self.protocolName = protocolName
        self.statistics = statistics
    }

    /// Reads one `(qs(tttttt)(tttttt))`; `since` is the reply's own timestamp.
    init?(wire: DBusValue, since: GaneshaTimestamp) {
        guard let fields = wire.fields, fields.count == 4, let id = fields[0].uint16, let name = fields[1].string,
              let read = IOCounters(wire: fields[2]), let write = IOCounters(wire: fields[3])
        else { return nil }
        self.init(exportID: id, protocolName: name, statistics: IOStatistics(read: read, write: write, since: since))
    }
}
