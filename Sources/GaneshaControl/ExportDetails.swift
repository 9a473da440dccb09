import DBusKit

/// One export as `exportmgr.DisplayExport` describes it.
public struct ExportDetails: Sendable, Hashable {
    /// One `CLIENT` block of the export, in the order Ganesha matches them.
    public struct ClientRule: Sendable, Hashable {
        /// One entry of the block's `Clients` list, e.g. `10.0.0.0/8`; `<unknown>` for a
        /// host name Ganesha could not resolve.
        public let match: String
        public let anonymousUID: UInt32
        public let anonymousGID: UInt32
        /// Ganesha's raw permission bits (access type, squash, protocols, …).
        public let options: UInt32

        public init(match: String, anonymousUID: UInt32, anonymousGID: UInt32, options: UInt32) {
            self.match = match
            self.anonymousUID = anonymousUID
            self.anonymousGID = anonymousGID
            self.options = options
        }

        /// Reads one `(siyyiuuuuu)`: match, CIDR version, address, mask, protocol, anonymous
        /// uid, anonymous gid, attribute expiry, options, set-mask.
        init?(wire: DBusValue) {
            guard let fields = wire.fields, fields.count == 10, let match = fields[0].string,
                  let uid = fields[5].uint32, let gid = fields[6].uint32, let options = fields[8].uint32
            else { return nil }
            self.init(match: match, anonymousUID: uid, anonymousGID: gid, options: options)
        }
    }

    public let id: UInt16
    /// The exported directory (`Path`).
    public let path: String
    /// What 4.3 sends in the field introspection calls the pseudo path: `Path` again,
    /// unless `mount_path_pseudo` is set.
    public let exportPath: String
    /// The `Tag`, empty when none is set.
    public let tag: String
    public let clients: [ClientRule]

    public init(id: UInt16, path: String, exportPath: String, tag: String, clients: [ClientRule]) {
        self.id = id
        self.path = path
        self.exportPath = exportPath
        self.tag = tag
        self.clients = clients
    }

    /// Reads `q s s s a(siyyiuuuuu)`; releases before 4 sent the id as `i`, which is read too.
    init(reply: GaneshaReply) throws(GaneshaError) {
        let id = try reply.decode(0) { $0.uint16 ?? $0.int32.flatMap { UInt16(exactly: $0) } }
        self.init(
            id: id, path: try reply.decode(1, \.string), exportPath: try reply.decode(2, \.string),
            tag: try reply.decode(3, \.string), clients: try reply.decodeArray(4, ClientRule.init(wire:)))
    }
}
