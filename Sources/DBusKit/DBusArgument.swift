/// One input argument of a method call.
public enum DBusArgument: Sendable, Equatable {
    case byte(UInt8)
    case bool(Bool)
    case int16(Int16)
    case uint16(UInt16)
    case int32(Int32)
    case uint32(UInt32)
    case int64(Int64)
    case uint64(UInt64)
    case double(Double)
    /// A UTF-8 string; one containing a NUL character is refused (D-Bus cannot carry it).
    case string(String)
    /// An object path such as `/org/ganesha/nfsd/admin`; validated before sending.
    case objectPath(String)
    /// A variant holding one argument, e.g. the value of `org.freedesktop.DBus.Properties.Set`.
    indirect case variant(DBusArgument)

    /// The value a receiver decodes from this argument.
    public var value: DBusValue {
        switch self {
        case .byte(let byte): .byte(byte)
        case .bool(let flag): .bool(flag)
        case .int16(let number): .int16(number)
        case .uint16(let number): .uint16(number)
        case .int32(let number): .int32(number)
        case .uint32(let number): .uint32(number)
        case .int64(let number): .int64(number)
        case .uint64(let number): .uint64(number)
        case .double(let number): .double(number)
        case .string(let text): .string(text)
        case .objectPath(let path): .objectPath(path)
        case .variant(let inner): .variant(inner.value)
        }
    }

    /// The D-Bus type signature of this argument.
    public var typeSignature: String { value.typeSignature }
}
