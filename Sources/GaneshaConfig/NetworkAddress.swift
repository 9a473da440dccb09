import Glibc

/// A numeric IPv4 or IPv6 address to bind. Host names are refused: a bind address
/// that depends on DNS is not a decision we want Ganesha to make at start.
public struct NetworkAddress: Sendable, Hashable, CustomStringConvertible {
    public let value: String
    public let isIPv6: Bool

    public init(validating raw: String, flag: String) throws(ValidationError) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, raw, &v4) == 1 {
            isIPv6 = false
        } else if inet_pton(AF_INET6, raw, &v6) == 1 {
            isIPv6 = true
        } else {
            throw ValidationError(flag: flag, reason: "\(Printable.quoted(raw)) is not a numeric IPv4 or IPv6 address")
        }
        value = raw
    }

    public var description: String { value }
}

/// Numbers from flags, checked against their documented range.
public enum RangeCheck {
    /// `allowZero`: 0 asks the server to pick a free port (and share-manager to publish it).
    public static func port(_ value: Int, flag: String, allowZero: Bool = false) throws(ValidationError) -> UInt16 {
        guard (1...65535).contains(value) || (allowZero && value == 0) else {
            let range = allowZero ? "0 for any free port, or 1-65535" : "1-65535"
            throw ValidationError(flag: flag, reason: "\(value) is not a TCP port (\(range))")
        }
        return UInt16(value)
    }

    public static func seconds(_ value: Int, in range: ClosedRange<Int>, flag: String) throws(ValidationError) -> Int {
        guard range.contains(value) else {
            throw ValidationError(flag: flag, reason: "\(value) is out of range (\(range.lowerBound)-\(range.upperBound) seconds)")
        }
        return value
    }
}
