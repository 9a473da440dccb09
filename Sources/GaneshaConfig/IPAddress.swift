import Glibc

/// A numeric address as inet_pton parsed it; `text` is inet_ntop's canonical spelling.
struct IPAddress: Equatable {
    let isIPv6: Bool
    let bytes: [UInt8]

    init?(_ raw: String) {
        // inet_pton would stop at an embedded NUL and accept what comes before it.
        guard !raw.utf8.contains(0) else { return nil }
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, raw, &v4) == 1 {
            isIPv6 = false
            bytes = withUnsafeBytes(of: v4) { Array($0) }
        } else if inet_pton(AF_INET6, raw, &v6) == 1 {
            isIPv6 = true
            bytes = withUnsafeBytes(of: v6) { Array($0) }
        } else {
            return nil
        }
    }

    private init(isIPv6: Bool, bytes: [UInt8]) {
        self.isIPv6 = isIPv6
        self.bytes = bytes
    }

    var bitCount: Int { bytes.count * 8 }
    var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }

    func masked(to length: Int) -> IPAddress {
        let kept = bytes.enumerated().map { index, byte -> UInt8 in
            let bitsHere = min(max(length - index * 8, 0), 8)
            return bitsHere == 8 ? byte : byte & ~(UInt8(0xFF) >> bitsHere)
        }
        return IPAddress(isIPv6: isIPv6, bytes: kept)
    }

    var text: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv6 ? AF_INET6 : AF_INET
        let ok = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return "" }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

enum ASCII {
    static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    static func isLetter(_ byte: UInt8) -> Bool { (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) }
    static func lowercased(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte }
}
