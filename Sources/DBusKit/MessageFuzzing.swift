internal import CDBus

/// The fuzzing entry: marshalled D-Bus messages in, decoded replies out, no bus involved.
///
/// Public only so the separate `fuzz/` package (a libFuzzer target) and the decoder
/// property tests can reach ``MessageDecoder``; share-manager itself never calls it.
public enum MessageFuzzing {
    /// Demarshals `marshalled` (one message in wire format) and decodes it as a reply.
    ///
    /// libdbus validates the bytes (header, signature, body, UTF-8, nesting) and refuses
    /// anything invalid, as it does for what arrives on a connection; whatever it accepts
    /// goes through the same decoder as a real reply. Never traps: every failure is a value.
    public static func decode(marshalled: [UInt8]) -> Result<DBusReply, DBusError> {
        // libdbus rejects a NULL buffer with a fatal check, and its length is an int.
        guard !marshalled.isEmpty, marshalled.count <= Int(Int32.max) else {
            return .failure(.badReply("\(marshalled.count) bytes cannot be a D-Bus message"))
        }
        let (message, error) = marshalled.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                DBusError.capturing { dbus_message_demarshal(chars.baseAddress, Int32(chars.count), $0) }
            }
        }
        guard let message else {
            return .failure(.badReply("libdbus refused the message: \(error?.message ?? "invalid")"))
        }
        defer { dbus_message_unref(message) }
        return Result { () throws(DBusError) in try MessageDecoder.reply(from: message) }
    }

    /// A method-return message carrying `values`, marshalled as it would travel on the wire:
    /// seeds for the fuzzer and inputs for round-trip tests.
    ///
    /// Every value is checked before libdbus sees it (libdbus aborts the process on an
    /// invalid string, path, signature or container): an array's elements must have its
    /// element signature, and a dictionary entry may only appear inside an array.
    public static func marshalReply(_ values: [DBusValue]) throws(DBusError) -> [UInt8] {
        try checkSignature(values.map(\.typeSignature).joined(), single: false)
        guard let message = dbus_message_new(CDBUS_MESSAGE_TYPE_METHOD_RETURN) else {
            throw .invalidRequest("out of memory creating a reply")
        }
        defer { dbus_message_unref(message) }
        // Serial 0 and a missing reply serial are invalid on the wire: demarshalling would refuse them.
        dbus_message_set_serial(message, 1)
        guard dbus_message_set_reply_serial(message, 1) != 0 else { throw .invalidRequest("out of memory") }
        var iter = DBusMessageIter()
        dbus_message_iter_init_append(message, &iter)
        for value in values {
            try append(value, to: &iter)
        }
        var buffer: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        guard dbus_message_marshal(message, &buffer, &length) != 0, let buffer else {
            throw .invalidRequest("out of memory marshalling a reply")
        }
        defer { dbus_free(buffer) }
        return UnsafeRawBufferPointer(start: buffer, count: Int(length)).map { $0 }
    }

    private static func append(_ value: DBusValue, to iter: inout DBusMessageIter) throws(DBusError) {
        switch value {
        case .array(let element, let items):
            // "a{sv}" is a complete type, its element "{sv}" alone is not.
            try checkSignature("a" + element, single: true)
            if let stray = items.first(where: { $0.typeSignature != element }) {
                throw .invalidRequest("array of '\(element)' holds a '\(stray.typeSignature)'")
            }
            try container(CDBUS_TYPE_ARRAY, element, items, in: &iter)
        case .structure(let fields):
            try container(CDBUS_TYPE_STRUCT, nil, fields, in: &iter)
        case .variant(let inner):
            try checkSignature(inner.typeSignature, single: true)
            try container(CDBUS_TYPE_VARIANT, inner.typeSignature, [inner], in: &iter)
        case .dictEntry(let key, let entry):
            try container(CDBUS_TYPE_DICT_ENTRY, nil, [key, entry], in: &iter)
        case .string(let text): try appendText(text, CDBUS_TYPE_STRING, to: &iter)
        case .objectPath(let path): try appendText(path, CDBUS_TYPE_OBJECT_PATH, to: &iter)
        case .signature(let signature): try appendText(signature, CDBUS_TYPE_SIGNATURE, to: &iter)
        case .bool(let flag): try appendNumber(dbus_bool_t(flag ? 1 : 0), of: value, to: &iter)
        case .byte(let number): try appendNumber(number, of: value, to: &iter)
        case .int16(let number): try appendNumber(number, of: value, to: &iter)
        case .uint16(let number): try appendNumber(number, of: value, to: &iter)
        case .int32(let number): try appendNumber(number, of: value, to: &iter)
        case .uint32(let number): try appendNumber(number, of: value, to: &iter)
        case .int64(let number): try appendNumber(number, of: value, to: &iter)
        case .uint64(let number): try appendNumber(number, of: value, to: &iter)
        case .double(let number): try appendNumber(number, of: value, to: &iter)
        }
    }

    /// libdbus reads a fixed-size basic value straight from the pointer, as the C type its
    /// type code names; the code is the value's own one-letter signature.
    private static func appendNumber<Number: BitwiseCopyable>(
        _ number: Number, of value: DBusValue, to iter: inout DBusMessageIter
    ) throws(DBusError) {
        var payload = number
        let type = Int32(value.typeSignature.utf8.first ?? 0)
        guard dbus_message_iter_append_basic(&iter, type, &payload) != 0 else { throw .invalidRequest("out of memory") }
    }

    private static func container(
        _ type: Int32, _ signature: String?, _ items: [DBusValue], in iter: inout DBusMessageIter
    ) throws(DBusError) {
        var sub = DBusMessageIter()
        guard dbus_message_iter_open_container(&iter, type, signature, &sub) != 0 else {
            throw .invalidRequest("out of memory opening a container")
        }
        do {
            for item in items {
                try append(item, to: &sub)
            }
        } catch {
            dbus_message_iter_abandon_container(&iter, &sub)
            throw error
        }
        guard dbus_message_iter_close_container(&iter, &sub) != 0 else { throw .invalidRequest("out of memory") }
    }

    private static func appendText(_ text: String, _ type: Int32, to iter: inout DBusMessageIter) throws(DBusError) {
        guard !text.utf8.contains(0), dbus_validate_utf8(text, nil) != 0 else {
            throw .invalidRequest("text with a NUL or invalid UTF-8 cannot travel in D-Bus")
        }
        if type == CDBUS_TYPE_OBJECT_PATH, dbus_validate_path(text, nil) == 0 {
            throw .invalidRequest("invalid object path \"\(text)\"")
        }
        if type == CDBUS_TYPE_SIGNATURE { try checkSignature(text, single: false) }
        let appended = text.withCString { pointer in
            var raw = DBusBasicValue()
            raw.str = UnsafeMutablePointer(mutating: pointer)
            return dbus_message_iter_append_basic(&iter, type, &raw)
        }
        guard appended != 0 else { throw .invalidRequest("out of memory appending text") }
    }

    private static func checkSignature(_ signature: String, single: Bool) throws(DBusError) {
        let valid = single ? dbus_signature_validate_single(signature, nil) : dbus_signature_validate(signature, nil)
        guard !signature.utf8.contains(0), valid != 0 else {
            throw .invalidRequest("invalid D-Bus signature \"\(signature)\"")
        }
    }
}
