import DBusKit

/// One export as `ShowExports` lists it.
public struct GaneshaExport: Sendable, Equatable {
    /// The `Export_Id`.
    public let id: UInt16
    /// The exported path (Ganesha reports the `Path`, not the `Pseudo` path, by default).
    public let path: String
    /// Ganesha's per-protocol flags, keyed as it spells them (`NFSv40`, `NFSv41`, `NFSv42`,
    /// `NFSv3`, `MNT`, `NMLv4`, `RQUOTA`, `9P`). A flag is on once the export has
    /// statistics for that protocol, i.e. once a client used it.
    public let protocolFlags: [String: Bool]

    public init(id: UInt16, path: String, protocolFlags: [String: Bool]) {
        self.id = id
        self.path = path
        self.protocolFlags = protocolFlags
    }

    /// The protocols whose flag is on, sorted.
    public var activeProtocols: [String] { ProtocolFlags.active(protocolFlags) }

    /// Reads one `(qs((sb)…)(tt))` entry; nil when the first two fields are not id and path.
    ///
    /// Only the leading id and path are required; the flags are read wherever they sit.
    init?(wire: DBusValue) {
        guard let fields = wire.fields, fields.count >= 2,
              let id = fields[0].uint16, let path = fields[1].string
        else { return nil }
        self.init(id: id, path: path, protocolFlags: ProtocolFlags.first(in: fields.dropFirst(2)))
    }
}
