import DBusKit

/// Server-wide request counts per protocol, from `exportstats.GetGlobalOPS`.
public struct GlobalOperations: Sendable, Hashable {
    /// Counts keyed as Ganesha names them; 4.3 sends `NFSv3`, `NFSv40`, `NFSv41`, `NFSv42`,
    /// `NLM4`, `MNTv1`, `MNTv3` and `RQUOTA`.
    public let counts: [String: UInt64]
    /// When counting started.
    public let since: GaneshaTimestamp

    public init(counts: [String: UInt64], since: GaneshaTimestamp) {
        self.counts = counts
        self.since = since
    }

    public var nfsv3: UInt64 { counts["NFSv3"] ?? 0 }
    public var nfsv40: UInt64 { counts["NFSv40"] ?? 0 }
    public var nfsv41: UInt64 { counts["NFSv41"] ?? 0 }
    public var nfsv42: UInt64 { counts["NFSv42"] ?? 0 }

    /// Reads the name/count pairs. 4.3 sends one flat structure `(stst…)`; its introspection
    /// data promises `a(st)`, so that shape is read too.
    static func counts(wire: DBusValue) -> [String: UInt64]? {
        let flat: [DBusValue]
        if let fields = wire.fields {
            flat = fields
        } else if let elements = wire.elements {
            var joined: [DBusValue] = []
            for element in elements {
                guard let pair = element.fields, pair.count == 2 else { return nil }
                joined += pair
            }
            flat = joined
        } else {
            return nil
        }
        guard flat.count.isMultiple(of: 2) else { return nil }
        var counts: [String: UInt64] = [:]
        for index in stride(from: 0, to: flat.count, by: 2) {
            guard let name = flat[index].string, let count = flat[index + 1].uint64 else { return nil }
            counts[name] = count
        }
        return counts
    }
}
