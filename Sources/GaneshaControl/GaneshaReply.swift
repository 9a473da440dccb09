import DBusKit

/// A reply being decoded: each accessor fails with ``GaneshaError/unexpectedReply(method:signature:)``
/// naming the method and the signature that arrived, so a shape change is reported, never guessed at.
struct GaneshaReply {
    let method: String
    let signature: String
    let values: [DBusValue]

    init(method: String, signature: String, values: [DBusValue]) {
        self.method = method
        self.signature = signature
        self.values = values
    }

    init(method: String, reply: DBusReply) {
        self.init(method: method, signature: reply.signature, values: reply.values)
    }

    var malformed: GaneshaError { .unexpectedReply(method: method, signature: signature) }

    /// Value `index` read with `decode`, which answers nil for a shape it does not accept.
    func decode<T>(_ index: Int, _ decode: (DBusValue) -> T?) throws(GaneshaError) -> T {
        guard values.indices.contains(index), let decoded = decode(values[index]) else { throw malformed }
        return decoded
    }

    /// Every element of the array at `index`, each read with `decode`.
    func decodeArray<T>(_ index: Int, _ decode: (DBusValue) -> T?) throws(GaneshaError) -> [T] {
        let elements = try self.decode(index, \.elements)
        var decoded: [T] = []
        for element in elements {
            guard let value = decode(element) else { throw malformed }
            decoded.append(value)
        }
        return decoded
    }
}
