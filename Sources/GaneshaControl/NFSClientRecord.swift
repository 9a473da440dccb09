import DBusKit

/// One NFS client as `clientmgr.ShowClients` lists it: an address Ganesha keeps state and
/// statistics for, which stays listed after the client disconnects.
public struct NFSClientRecord: Sendable, Hashable {
    /// The address as Ganesha writes it: `::ffff:a.b.c.d` for an IPv4 client. Pass it as
    /// is to ``GaneshaClient/clientIO(_:address:)``.
    public let address: String
    /// Per-protocol flags, keyed as for ``GaneshaExport/protocolFlags``: on once the
    /// client used that protocol.
    public let protocolFlags: [String: Bool]
    /// When Ganesha last counted a request from this client.
    public let lastActivity: GaneshaTimestamp?

    public init(address: String, protocolFlags: [String: Bool], lastActivity: GaneshaTimestamp?) {
        self.address = address
        self.protocolFlags = protocolFlags
        self.lastActivity = lastActivity
    }

    /// The protocols whose flag is on, sorted.
    public var activeProtocols: [String] { ProtocolFlags.active(protocolFlags) }

    /// Reads one `(s((sb)…)(tt))` entry (the 4.x layout); nil unless it starts with the address.
    init?(wire: DBusValue) {
        guard let fields = wire.fields, let address = fields.first?.string else { return nil }
        self.init(
            address: address, protocolFlags: ProtocolFlags.first(in: fields.dropFirst()),
            lastActivity: fields.last.flatMap(GaneshaTimestamp.init(wire:)))
    }
}
