import DBusKit

/// Replies shaped like Ganesha's, plus every container kind the decoder walks.
enum SeedReplies {
    static let all: [[DBusValue]] = {
        let now = DBusValue.structure([.uint64(1_700_000_000), .uint64(123_456_789)])
        let flags = DBusValue.structure(["NFSv3", "NFSv4", "9P", "MNT", "NLM", "RQUOTA", "NFS_VSOCK", "NFS_RDMA"].map {
            .structure([.string($0), .bool($0 == "NFSv4")])
        })
        let export = DBusValue.structure([.uint16(1), .string("/export/vol-1"), flags, now])
        let counters = DBusValue.structure((0..<8).flatMap { [DBusValue.string("op\($0)"), .uint64(UInt64($0) * 1000)] })
        let properties = DBusValue.array(elementSignature: "{sv}", [
            .dictEntry(key: .string("Version"), value: .variant(.string("5.7"))),
            .dictEntry(key: .string("Clients"), value: .variant(.array(elementSignature: "o", [.objectPath("/org/ganesha/nfsd/ClientMgr")]))),
        ])
        return [
            // ShowExports: (tt)a(qs((sb)(sb)(sb)(sb)(sb)(sb)(sb)(sb))(tt))
            [now, .array(elementSignature: "(qs((sb)(sb)(sb)(sb)(sb)(sb)(sb)(sb))(tt))", [export, export])],
            [now, .array(elementSignature: "(qs((sb)(sb)(sb)(sb)(sb)(sb)(sb)(sb))(tt))", [])],
            // Per-export statistics: bs(tt)(stststststststst)
            [.bool(true), .string("OK"), now, counters],
            // AddExport / RemoveExport / grace: a status and a message
            [.bool(false), .string("export not found")],
            [.string("/export/vol-1 exported")],
            // Every basic type once, a dictionary of variants, nested arrays, a signature.
            [.byte(7), .bool(true), .int16(-2), .uint16(2), .int32(-3), .uint32(3), .int64(-4), .uint64(4), .double(0.5)],
            [properties, .signature("a{sv}"), .array(elementSignature: "ay", [.array(elementSignature: "y", [.byte(1), .byte(2)])])],
            [],
        ]
    }()
}
