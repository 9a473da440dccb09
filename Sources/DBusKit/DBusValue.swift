/// One value decoded from a D-Bus message, shaped by the type signature it arrived with.
public indirect enum DBusValue: Sendable, Equatable {
    case byte(UInt8)
    case bool(Bool)
    case int16(Int16)
    case uint16(UInt16)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case uint64(UInt64)
    case double(Double)
    case string(String)
    case objectPath(String)
    case signature(String)
    /// An array; `elementSignature` keeps the element type even when the array is empty.
    case array(elementSignature: String, [DBusValue])
    case structure([DBusValue])
    case variant(DBusValue)
    /// One entry of a dictionary (`a{kv}` arrives as an array of these).
    case dictEntry(key: DBusValue, value: DBusValue)

    /// The D-Bus type signature of this value, e.g. `a(qs)`.
    public var typeSignature: String {
        switch self {
        case .byte: "y"
        case .bool: "b"
        case .int16: "n"
        case .uint16: "q"
        case .int32: "i"
        case .uint32: "u"
        case .int64: "x"
        case .uint64: "t"
        case .double: "d"
        case .string: "s"
        case .objectPath: "o"
        case .signature: "g"
        case .array(let element, _): "a" + element
        case .structure(let fields): "(" + fields.map(\.typeSignature).joined() + ")"
        case .variant: "v"
        case .dictEntry(let key, let value): "{" + key.typeSignature + value.typeSignature + "}"
        }
    }
}

// Accessors that answer nil instead of trapping: replies come from another process.
extension DBusValue {
    /// The text of a string, object path or signature.
    public var string: String? {
        switch self {
        case .string(let text), .objectPath(let text), .signature(let text): text
        default: nil
        }
    }

    public var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    public var byte: UInt8? { if case .byte(let value) = self { value } else { nil } }
    public var int16: Int16? { if case .int16(let value) = self { value } else { nil } }
    public var uint16: UInt16? { if case .uint16(let value) = self { value } else { nil } }
    public var int32: Int32? { if case .int32(let value) = self { value } else { nil } }
    public var uint32: UInt32? { if case .uint32(let value) = self { value } else { nil } }
    public var int64: Int64? { if case .int64(let value) = self { value } else { nil } }
    public var uint64: UInt64? { if case .uint64(let value) = self { value } else { nil } }
    public var double: Double? { if case .double(let value) = self { value } else { nil } }

    /// The elements of an array.
    public var elements: [DBusValue]? { if case .array(_, let values) = self { values } else { nil } }

    /// The fields of a structure.
    public var fields: [DBusValue]? { if case .structure(let values) = self { values } else { nil } }

    /// The value inside a variant.
    public var variantValue: DBusValue? { if case .variant(let value) = self { value } else { nil } }

    /// An array of dictionary entries as key/value pairs, in wire order.
    public var dictionaryEntries: [(key: DBusValue, value: DBusValue)]? {
        guard let elements else { return nil }
        var pairs: [(key: DBusValue, value: DBusValue)] = []
        for element in elements {
            guard case .dictEntry(let key, let value) = element else { return nil }
            pairs.append((key, value))
        }
        return pairs
    }
}
