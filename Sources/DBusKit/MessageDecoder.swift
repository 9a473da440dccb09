internal import CDBus

/// Turns a received libdbus message into Swift values.
///
/// The walk follows the type codes the message itself carries (libdbus has already
/// validated the message against its signature), so nothing is assumed about the sender;
/// a type we do not model becomes a `share_manager.BadReply` error, never a crash.
enum MessageDecoder {
    static func reply(from message: OpaquePointer) throws(DBusError) -> DBusReply {
        let signature = dbus_message_get_signature(message).map { String(cString: $0) } ?? ""
        let serial = dbus_message_get_serial(message)
        var iter = DBusMessageIter()
        guard dbus_message_iter_init(message, &iter) != 0 else {
            return DBusReply(signature: signature, values: [], serial: serial)
        }
        return DBusReply(signature: signature, values: try sequence(&iter), serial: serial)
    }

    /// Every value from `iter`'s position to the end of its container.
    private static func sequence(_ iter: inout DBusMessageIter) throws(DBusError) -> [DBusValue] {
        var values: [DBusValue] = []
        while dbus_message_iter_get_arg_type(&iter) != CDBUS_TYPE_INVALID {
            values.append(try value(&iter))
            dbus_message_iter_next(&iter)
        }
        return values
    }

    private static func value(_ iter: inout DBusMessageIter) throws(DBusError) -> DBusValue {
        let type = dbus_message_iter_get_arg_type(&iter)
        switch type {
        case CDBUS_TYPE_ARRAY:
            let element = String(try currentSignature(&iter).dropFirst())
            return .array(elementSignature: element, try contents(&iter))
        case CDBUS_TYPE_STRUCT:
            return .structure(try contents(&iter))
        case CDBUS_TYPE_VARIANT:
            let inner = try contents(&iter)
            guard inner.count == 1, let only = inner.first else { throw .badReply("variant holds \(inner.count) values") }
            return .variant(only)
        case CDBUS_TYPE_DICT_ENTRY:
            let pair = try contents(&iter)
            guard pair.count == 2 else { throw .badReply("dictionary entry holds \(pair.count) values") }
            return .dictEntry(key: pair[0], value: pair[1])
        default:
            return try basic(&iter, type: type)
        }
    }

    private static func contents(_ iter: inout DBusMessageIter) throws(DBusError) -> [DBusValue] {
        var inner = DBusMessageIter()
        dbus_message_iter_recurse(&iter, &inner)
        return try sequence(&inner)
    }

    private static func currentSignature(_ iter: inout DBusMessageIter) throws(DBusError) -> String {
        guard let raw = dbus_message_iter_get_signature(&iter) else { throw .badReply("out of memory reading a signature") }
        defer { dbus_free(raw) }
        return String(cString: raw)
    }

    private static func basic(_ iter: inout DBusMessageIter, type: Int32) throws(DBusError) -> DBusValue {
        var raw = DBusBasicValue()
        switch type {
        case CDBUS_TYPE_BYTE, CDBUS_TYPE_BOOLEAN, CDBUS_TYPE_INT16, CDBUS_TYPE_UINT16, CDBUS_TYPE_INT32,
             CDBUS_TYPE_UINT32, CDBUS_TYPE_INT64, CDBUS_TYPE_UINT64, CDBUS_TYPE_DOUBLE,
             CDBUS_TYPE_STRING, CDBUS_TYPE_OBJECT_PATH, CDBUS_TYPE_SIGNATURE:
            dbus_message_iter_get_basic(&iter, &raw)
        default:
            // Unix fds would need ownership handling and nothing we talk to sends them.
            let code = UInt8(truncatingIfNeeded: type)
            let name = code < 0x80 ? String(UnicodeScalar(code)) : String(type)
            throw .badReply("unsupported D-Bus type '\(name)' in reply")
        }
        switch type {
        case CDBUS_TYPE_BYTE: return .byte(raw.byt)
        case CDBUS_TYPE_BOOLEAN: return .bool(raw.bool_val != 0)
        case CDBUS_TYPE_INT16: return .int16(raw.i16)
        case CDBUS_TYPE_UINT16: return .uint16(raw.u16)
        case CDBUS_TYPE_INT32: return .int32(raw.i32)
        case CDBUS_TYPE_UINT32: return .uint32(raw.u32)
        case CDBUS_TYPE_INT64: return .int64(Int64(raw.i64))
        case CDBUS_TYPE_UINT64: return .uint64(UInt64(raw.u64))
        case CDBUS_TYPE_DOUBLE: return .double(raw.dbl)
        case CDBUS_TYPE_STRING: return .string(text(raw))
        case CDBUS_TYPE_OBJECT_PATH: return .objectPath(text(raw))
        default: return .signature(text(raw))
        }
    }

    private static func text(_ raw: DBusBasicValue) -> String {
        raw.str.map { String(cString: $0) } ?? ""
    }
}
