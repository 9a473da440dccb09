/// `--allowed-clients`: the clients that may reach the export, rendered into a CLIENT block.
///
/// Each entry becomes one bare token in Ganesha's `Clients = ...;` list, where quoting is not
/// allowed, so every entry is rebuilt from what was parsed (never copied from the flag) and must
/// be a token Ganesha 4.3's lexer reads as the client meant. What that lexer cannot read (IPv6
/// prefixes of three digits, names starting with a digit, `/0`) is refused here with the reason,
/// rather than becoming a Ganesha start-up error or, worse, a silently different rule.
public struct ClientList: Sendable, Hashable, CustomStringConvertible {
    /// Canonical entries, in the order given, without repeats.
    public let entries: [String]

    /// The list, or nil for `*` alone (every client, as without the flag).
    public static func parse(_ raw: String, flag: String = "allowed-clients") throws(ValidationError) -> ClientList? {
        let tokens = raw.split(separator: ",", omittingEmptySubsequences: false).map(trimmingSpaces)
        if tokens == ["*"] { return nil }
        if tokens == [""] {
            throw ValidationError(flag: flag, reason: "is empty; list CIDRs, addresses or host names, or leave the flag out to let every client in")
        }
        var entries: [String] = []
        for token in tokens {
            let entry = try ClientEntry.canonical(token, flag: flag)
            if !entries.contains(entry) { entries.append(entry) }
        }
        return ClientList(entries: entries)
    }

    public var description: String { entries.joined(separator: ", ") }

    private static func trimmingSpaces(_ token: Substring) -> String {
        var token = token
        while token.first == " " { token.removeFirst() }
        while token.last == " " { token.removeLast() }
        return String(token)
    }
}

/// One entry of the list: a network, an address or a host name, in canonical form.
enum ClientEntry {
    static func canonical(_ token: String, flag: String) throws(ValidationError) -> String {
        func refuse(_ reason: String) -> ValidationError {
            ValidationError(flag: flag, reason: "\(Printable.quoted(token)) \(reason)")
        }
        if token.isEmpty {
            throw ValidationError(flag: flag, reason: "has an empty entry (two commas in a row, or one at an end)")
        }
        if token == "*" { throw refuse("(every client) cannot be combined with other entries") }
        if let slash = token.firstIndex(of: "/") {
            return try network(String(token[..<slash]), prefix: String(token[token.index(after: slash)...]), refuse)
        }
        if let address = IPAddress(token) {
            // Ganesha reads 0.0.0.0 as "every client"; neither address is ever a client's source.
            guard !address.isUnspecified else { throw refuse("is the unspecified address, never a client's; leave the flag out to let every client in") }
            return address.text
        }
        return try hostName(token, refuse)
    }

    private static func network(
        _ rawAddress: String, prefix: String, _ refuse: (String) -> ValidationError
    ) throws(ValidationError) -> String {
        guard let address = IPAddress(rawAddress) else {
            throw refuse("is not a network: the part before '/' must be a numeric IPv4 or IPv6 address")
        }
        let digits = Array(prefix.utf8)
        let canonicalDigits = !digits.isEmpty && digits.count <= 3 && digits.allSatisfy(ASCII.isDigit)
            && (digits.first != UInt8(ascii: "0") || digits.count == 1)
        guard canonicalDigits, let length = Int(prefix), length <= address.bitCount else {
            throw refuse("has a bad prefix length; use 1-\(address.bitCount) for \(address.isIPv6 ? "IPv6" : "IPv4")")
        }
        guard length > 0 else { throw refuse("matches every client; leave the flag out (or give '*') for that") }
        // Ganesha 4.3 reads at most two prefix digits after an IPv6 address: a /128 is the bare address.
        if address.isIPv6 && length == 128 { return address.text }
        guard !address.isIPv6 || length <= 99 else {
            throw refuse("has a prefix Ganesha 4.3 cannot read (IPv6 prefixes above /99); use a shorter one or list the addresses")
        }
        let network = address.masked(to: length)
        guard network == address else { throw refuse("has host bits set; the network is \(network.text)/\(length)") }
        return "\(address.text)/\(length)"
    }

    private static func hostName(_ token: String, _ refuse: (String) -> ValidationError) throws(ValidationError) -> String {
        let bytes = Array(token.utf8)
        if bytes.contains(UInt8(ascii: ":")) { throw refuse("is not a valid IPv6 address") }
        if let bad = bytes.first(where: { !ASCII.isLetter($0) && !ASCII.isDigit($0) && $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: ".") }) {
            if bad >= 0x80 { throw refuse("contains a non-ASCII character; give an internationalised name in its xn-- form") }
            let what = bad < 0x20 || bad == 0x7F ? "a control character" : "'\(Character(Unicode.Scalar(bad)))'"
            throw refuse("contains \(what); entries are IPv4/IPv6 addresses, networks (address/prefix) or host names (letters, digits, '-', '.')")
        }
        if bytes.allSatisfy({ ASCII.isDigit($0) || $0 == UInt8(ascii: ".") }) {
            throw refuse("is not a valid IPv4 address")
        }
        guard bytes.count <= 253 else { throw refuse("is \(bytes.count) bytes long; a host name has at most 253") }
        let name = String(decoding: bytes.map(ASCII.lowercased), as: UTF8.self)
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.count <= 63, label.first != "-", label.last != "-" else {
                throw refuse("is not a host name: each dot-separated label has 1-63 letters, digits or '-', not starting or ending with '-'")
            }
        }
        guard let first = bytes.first, ASCII.isLetter(first) else {
            throw refuse("starts with a digit, which Ganesha 4.3 cannot read as a host name; give the host's address")
        }
        if let last = name.split(separator: ".").last, last.utf8.allSatisfy(ASCII.isDigit) {
            throw refuse("is not a host name: its last label is all digits")
        }
        // Ganesha's lexer turns these into booleans before they can be host names.
        guard !["yes", "no", "true", "false", "on", "off"].contains(name) else {
            throw refuse("is read by Ganesha as a boolean, not a host name; give the fully qualified name")
        }
        return name
    }
}
