import DBusKit

/// The `((sb)…)` structure of protocol flags that `ShowExports` and `ShowClients` send.
enum ProtocolFlags {
    /// The flags from the first field made only of `(sb)` pairs, wherever it sits, so that a
    /// release which adds or moves fields still decodes; empty when there is none.
    static func first(in fields: some Sequence<DBusValue>) -> [String: Bool] {
        for field in fields {
            if let flags = decode(field) { return flags }
        }
        return [:]
    }

    static func decode(_ value: DBusValue) -> [String: Bool]? {
        guard let members = value.fields, !members.isEmpty else { return nil }
        var flags: [String: Bool] = [:]
        for member in members {
            guard let pair = member.fields, pair.count == 2, let name = pair[0].string, let on = pair[1].bool
            else { return nil }
            flags[name] = on
        }
        return flags
    }

    /// The names whose flag is on, sorted.
    static func active(_ flags: [String: Bool]) -> [String] {
        flags.filter(\.value).map(\.key).sorted()
    }
}
