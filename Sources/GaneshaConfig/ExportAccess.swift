extension GaneshaSettings {
    /// `--squash`: which requests Ganesha maps to the anonymous uid and gid.
    public enum Squash: String, Sendable, Equatable, CaseIterable {
        /// Clients' root stays root on the volume, as Longhorn exports: Pods that chown or
        /// run as root keep working.
        case noRootSquash = "none"
        case rootSquash = "root"
        case allSquash = "all"

        public init(validating raw: String, flag: String = "squash") throws(ValidationError) {
            guard let squash = Self(rawValue: raw.lowercased()) else {
                throw ValidationError(flag: flag, reason: "\(Printable.quoted(raw)) is not supported; use none, root or all")
            }
            self = squash
        }

        /// Ganesha's spelling.
        var configValue: String {
            switch self {
            case .noRootSquash: "No_Root_Squash"
            case .rootSquash: "Root_Squash"
            case .allSquash: "All_Squash"
            }
        }
    }
}

/// `--anonymous-uid` / `--anonymous-gid`: the id a squashed request acts as.
public struct AnonymousID: Sendable, Hashable, CustomStringConvertible {
    public let value: UInt32

    /// Decimal digits only, 0-4294967294: 4294967295 is (uid_t)-1, which means "no id" to
    /// chown and setuid, and a sign or a leading `0x` would be read differently by Ganesha.
    public init(validating raw: String, flag: String) throws(ValidationError) {
        let bytes = Array(raw.utf8)
        guard !bytes.isEmpty, bytes.count <= 10, bytes.allSatisfy(ASCII.isDigit),
              let number = UInt64(raw), number <= 4_294_967_294 else {
            throw ValidationError(flag: flag, reason: "\(Printable.quoted(raw)) is not an id; give a number from 0 to 4294967294")
        }
        value = UInt32(number)
    }

    public var description: String { String(value) }
}
