/// An absolute, normalised path whose characters cannot change the structure of a
/// Ganesha config (quotes, braces, semicolons, `%include`, `#` comments, newlines).
/// Validation, not escaping, is the defence: Ganesha's parser has no escape rules we could trust.
public struct SafePath: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    /// Bytes a path may hold: letters, digits and a few punctuation marks that mean nothing to Ganesha's parser.
    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"),
             UInt8(ascii: "+"), UInt8(ascii: "@"), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "="):
            true
        default: false
        }
    }

    public init(validating raw: String, flag: String, maxLength: Int = 1024) throws(ValidationError) {
        guard raw.hasPrefix("/") else {
            throw ValidationError(flag: flag, reason: "\(Printable.quoted(raw)) is not an absolute path")
        }
        guard raw.utf8.count <= maxLength else {
            throw ValidationError(flag: flag, reason: "is \(raw.utf8.count) bytes long; at most \(maxLength) are allowed here")
        }
        if let bad = raw.utf8.first(where: { !Self.isAllowed($0) }) {
            let what = bad < 0x20 || bad == 0x7F ? "a control character" : bad >= 0x80 ? "a non-ASCII character" : "'\(Character(Unicode.Scalar(bad)))'"
            throw ValidationError(
                flag: flag,
                reason: "\(Printable.quoted(raw)) contains \(what); paths may hold only letters, digits and / . _ - + @ : , ="
            )
        }
        let components = raw.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        let normalised = raw == "/" || components.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
        guard normalised else {
            throw ValidationError(
                flag: flag,
                reason: "\(Printable.quoted(raw)) is not normalised (no '.', '..', '//' or trailing '/')"
            )
        }
        value = raw
    }

    public func appending(_ component: String) -> String {
        value == "/" ? "/" + component : value + "/" + component
    }

    public var description: String { value }
}
