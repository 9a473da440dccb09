import FoundationEssentials
import Glibc

/// The mkfs options an operator may add. An allow-list, not a deny-list: mkfs gains flags
/// over time, and one that picks another device (`-d name=`, `-l logdev=`), forces (`-F`,
/// `-f`), only pretends (`-n`), sets the label (`-L`, which marks an unfinished format) or
/// changes error behaviour (`-e`) must never reach it, nor a stray device path or block count.
enum MkfsOptions {
    /// What the value after a flag may be.
    enum Value: Sendable {
        /// A number, such as `4096` or `0.5`.
        case number
        /// Any token of safe characters, such as a feature list `^metadata_csum,quota`.
        case token
        /// A comma-separated list of `key` or `key=value` whose keys are all listed.
        case keys([String])

        func accepts(_ value: String) -> Bool {
            guard MkfsOptions.isSafeToken(value) else { return false }
            switch self {
            case .number:
                return value.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
            case .token:
                return true
            case .keys(let keys):
                return value.split(separator: ",", omittingEmptySubsequences: false).allSatisfy { part in
                    keys.contains(String(part.prefix { $0 != "=" }))
                }
            }
        }

        var rendered: String {
            switch self {
            case .number: "N"
            case .token: "VALUE"
            case .keys(let keys): "(" + keys.joined(separator: "|") + ")[=V][,…]"
            }
        }
    }

    /// The flags each mkfs accepts from the operator, each followed by one value argument.
    static func rules(for filesystem: FilesystemType) -> [(flag: String, value: Value)] {
        switch filesystem {
        case .ext4:
            // -E offset= would move the filesystem away from the start of the device.
            let extended = [
                "stride", "stripe_width", "stripe-width", "resize", "lazy_itable_init", "lazy_journal_init",
                "assume_storage_prezeroed", "packed_meta_blocks", "root_owner", "num_backup_sb", "discard",
                "nodiscard", "quotatype", "encoding", "encoding_flags", "orphan_file_size",
            ]
            return [
                ("-b", .number), ("-i", .number), ("-I", .number), ("-m", .number), ("-N", .number),
                ("-E", .keys(extended)), ("-O", .token), ("-T", .token), ("-J", .keys(["size"])),
            ]
        case .xfs:
            // -d name=/file=, -l logdev=/internal= and -m uuid= point at other devices or identities.
            return [
                ("-b", .keys(["size"])),
                ("-d", .keys(["agcount", "agsize", "su", "sunit", "sw", "swidth", "noalign", "size", "cowextsize", "extszinherit"])),
                ("-i", .keys(["size", "maxpct", "align", "attr", "projid32bit", "sparse", "nrext64"])),
                ("-l", .keys(["size", "version", "sunit", "su", "lazy-count"])),
                ("-m", .keys(["crc", "finobt", "rmapbt", "reflink", "inobtcount", "bigtime"])),
                ("-n", .keys(["size", "version", "ftype"])),
                ("-s", .keys(["size"])),
            ]
        }
    }

    /// Throws for the first option that is not a listed flag followed by an acceptable value.
    static func validate(_ options: [String], for filesystem: FilesystemType) throws(DeviceError) {
        let rules = rules(for: filesystem)
        let allowed = rules.map { "\($0.flag) \($0.value.rendered)" }.joined(separator: ", ")
        var index = options.startIndex
        while index < options.endIndex {
            let flag = options[index]
            guard let rule = rules.first(where: { $0.flag == flag }) else {
                throw .invalidMkfsOption(option: flag, filesystem: filesystem, allowed: allowed)
            }
            guard index + 1 < options.endIndex else {
                throw .invalidMkfsOption(option: flag + " (without a value)", filesystem: filesystem, allowed: allowed)
            }
            let value = options[index + 1]
            guard rule.value.accepts(value) else {
                throw .invalidMkfsOption(option: flag + " " + value, filesystem: filesystem, allowed: allowed)
            }
            index += 2
        }
    }

    /// Letters, digits and `= , . _ : + ^ -`, not starting with `-` (which reads as a flag).
    static func isSafeToken(_ value: String) -> Bool {
        guard let first = value.first, first != "-" else { return false }
        return value.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || scalar.properties.numericType != nil || "=,._:+^-".unicodeScalars.contains(scalar))
        }
    }
}
