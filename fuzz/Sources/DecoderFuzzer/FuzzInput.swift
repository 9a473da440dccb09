/// How one fuzz input becomes a marshalled message.
///
/// libdbus is not instrumented, so libFuzzer cannot see why it refuses a message, and a
/// mutation of a whole message mostly breaks the header. Two shapes of input therefore:
/// first byte even: the rest is a whole message, header included (finds header-parsing
/// trouble); first byte odd: the next byte is a signature length n, then n signature
/// bytes, then the body, wrapped here in a valid method-return header (reaches the
/// decoder with far more bodies libdbus accepts).
enum FuzzInput {
    static func message(from input: [UInt8]) -> [UInt8] {
        guard let mode = input.first else { return [] }
        guard mode & 1 == 1, input.count >= 2 else { return Array(input.dropFirst()) }
        let length = min(Int(input[1]), input.count - 2)
        return methodReturn(signature: Array(input[2..<(2 + length)]), body: Array(input[(2 + length)...]))
    }

    /// The structured form of a whole marshalled reply, for the seed corpus.
    static func structured(signature: String, message: [UInt8]) -> [UInt8] {
        let bodyLength = Int(message[4]) | Int(message[5]) << 8 | Int(message[6]) << 16 | Int(message[7]) << 24
        return [1, UInt8(signature.utf8.count)] + Array(signature.utf8) + message.suffix(bodyLength)
    }

    /// A little-endian method return with serial 1, REPLY_SERIAL 1 and SIGNATURE `signature`.
    static func methodReturn(signature: [UInt8], body: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "l"), 2, 0, 1]
        out += littleEndian(UInt32(body.count)) + littleEndian(1)
        out += [0, 0, 0, 0]  // header-field array length, filled in below
        // (REPLY_SERIAL=5, variant u 1), at 16: structs start 8-aligned.
        out += [5, 1, UInt8(ascii: "u"), 0] + littleEndian(1)
        if !signature.isEmpty {
            // (SIGNATURE=8, variant g), at 24.
            out += [8, 1, UInt8(ascii: "g"), 0, UInt8(signature.count)] + signature + [0]
        }
        let fields = littleEndian(UInt32(out.count - 16))
        out.replaceSubrange(12..<16, with: fields)
        while out.count % 8 != 0 { out.append(0) }
        return out + body
    }

    private static func littleEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}
