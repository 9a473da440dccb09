extension IDMapDomain {
    /// The longest DNS name, in bytes without the trailing root dot (RFC 1035).
    static let maximumLength = 253
    /// The longest DNS label, in bytes (RFC 1035).
    static let maximumLabelLength = 63

    /// Accepts a DNS name: dot-separated labels of `a-z`, `0-9` and `-`, at most 253 bytes,
    /// no empty label, no label starting or ending with `-`.
    ///
    /// The domain is written into idmapd.conf, so anything else (spaces, newlines, `]`,
    /// `=`, upper case that clients compare differently) is refused rather than escaped.
    public static func validate(domain: String) throws(IDMapError) {
        func reject(_ reason: String) -> IDMapError { .invalidDomain(domain, reason: reason) }
        let bytes = Array(domain.utf8)
        guard !bytes.isEmpty else { throw reject("it is empty") }
        guard bytes.count <= maximumLength else {
            throw reject("it is \(bytes.count) bytes long, more than \(maximumLength)")
        }
        if let bad = bytes.first(where: { !isAllowed($0) }) {
            let what = bad >= 0x41 && bad <= 0x5A ? "upper-case letters (write it in lower case)" : "character \(describe(bad))"
            throw reject("it contains \(what)")
        }
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !label.isEmpty else { throw reject("it has an empty label (leading, trailing or double dot)") }
            guard label.count <= maximumLabelLength else {
                throw reject("a label is \(label.count) bytes long, more than \(maximumLabelLength)")
            }
            guard label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else {
                throw reject("a label starts or ends with a hyphen")
            }
        }
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."): true
        default: false
        }
    }

    private static func describe(_ byte: UInt8) -> String {
        byte >= 0x21 && byte < 0x7F ? "'\(Character(UnicodeScalar(byte)))'" : "0x" + String(byte, radix: 16)
    }
}
