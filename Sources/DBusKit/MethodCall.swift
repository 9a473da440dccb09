internal import CDBus

/// What to call, checked and turned into a libdbus message on the connection's queue.
struct MethodCall: Sendable {
    let destination: String
    let path: String
    let interface: String
    let member: String
    let arguments: [DBusArgument]

    /// A new method-call message with every argument appended; the caller unrefs it.
    ///
    /// libdbus aborts the process on an invalid name or path (its argument checks are
    /// fatal by default), so everything is validated here first.
    func makeMessage() throws(DBusError) -> OpaquePointer {
        try Self.validate(destination, "destination", dbus_validate_bus_name)
        try Self.validate(path, "object path", dbus_validate_path)
        try Self.validate(interface, "interface", dbus_validate_interface)
        try Self.validate(member, "method", dbus_validate_member)
        guard let message = dbus_message_new_method_call(destination, path, interface, member) else {
            throw .invalidRequest("out of memory creating the \(member) call")
        }
        do {
            var iter = DBusMessageIter()
            dbus_message_iter_init_append(message, &iter)
            for argument in arguments {
                try Self.append(argument, to: &iter)
            }
        } catch {
            dbus_message_unref(message)
            throw error
        }
        return message
    }

    typealias Validator = (UnsafePointer<CChar>?, UnsafeMutablePointer<CDBus.DBusError>?) -> dbus_bool_t

    /// Refuses embedded NULs (a C string would silently cut them off), then asks libdbus.
    static func validate(_ text: String, _ what: String, _ validator: Validator? = nil) throws(DBusError) {
        guard !text.utf8.contains(0) else { throw .invalidRequest("\(what) contains a NUL character") }
        guard let validator else { return }
        let (valid, error) = DBusError.capturing { raw in validator(text, raw) }
        guard valid != 0 else {
            throw .invalidRequest("invalid \(what) \"\(text)\": \(error?.message ?? "rejected by libdbus")")
        }
    }

    private static func append(_ argument: DBusArgument, to iter: inout DBusMessageIter) throws(DBusError) {
        var value = DBusBasicValue()
        let type: Int32
        switch argument {
        case .byte(let byte): value.byt = byte; type = CDBUS_TYPE_BYTE
        case .bool(let flag): value.bool_val = flag ? 1 : 0; type = CDBUS_TYPE_BOOLEAN
        case .int16(let number): value.i16 = number; type = CDBUS_TYPE_INT16
        case .uint16(let number): value.u16 = number; type = CDBUS_TYPE_UINT16
        case .int32(let number): value.i32 = number; type = CDBUS_TYPE_INT32
        case .uint32(let number): value.u32 = number; type = CDBUS_TYPE_UINT32
        case .int64(let number): value.i64 = dbus_int64_t(number); type = CDBUS_TYPE_INT64
        case .uint64(let number): value.u64 = dbus_uint64_t(number); type = CDBUS_TYPE_UINT64
        case .double(let number): value.dbl = number; type = CDBUS_TYPE_DOUBLE
        case .string(let text):
            try validate(text, "string argument")
            return try appendString(text, type: CDBUS_TYPE_STRING, to: &iter)
        case .objectPath(let path):
            try validate(path, "object path argument", dbus_validate_path)
            return try appendString(path, type: CDBUS_TYPE_OBJECT_PATH, to: &iter)
        case .variant(let inner):
            return try appendVariant(inner, to: &iter)
        }
        guard dbus_message_iter_append_basic(&iter, type, &value) != 0 else {
            throw .invalidRequest("out of memory appending an argument")
        }
    }

    private static func appendVariant(_ inner: DBusArgument, to iter: inout DBusMessageIter) throws(DBusError) {
        var contents = DBusMessageIter()
        let opened = inner.typeSignature.withCString { signature in
            dbus_message_iter_open_container(&iter, CDBUS_TYPE_VARIANT, signature, &contents)
        }
        guard opened != 0 else { throw .invalidRequest("out of memory opening a variant") }
        do {
            try append(inner, to: &contents)
        } catch {
            // A half-written container must be abandoned, or libdbus asserts when the message is freed.
            dbus_message_iter_abandon_container(&iter, &contents)
            throw error
        }
        guard dbus_message_iter_close_container(&iter, &contents) != 0 else {
            throw .invalidRequest("out of memory closing a variant")
        }
    }

    private static func appendString(_ text: String, type: Int32, to iter: inout DBusMessageIter) throws(DBusError) {
        let appended = text.withCString { pointer in
            var value = DBusBasicValue()
            value.str = UnsafeMutablePointer(mutating: pointer)
            return dbus_message_iter_append_basic(&iter, type, &value)
        }
        guard appended != 0 else { throw .invalidRequest("out of memory appending a string") }
    }
}

extension MethodCall {
    /// The arguments as a receiver decodes them, without sending anything: lets tests
    /// check every basic type both ways without a peer that echoes.
    func encodedArguments() throws(DBusError) -> DBusReply {
        let message = try makeMessage()
        defer { dbus_message_unref(message) }
        return try MessageDecoder.reply(from: message)
    }
}
