/// The mount options an operator may add, and the ones share-manager always sets.
/// An allow-list: options that change error behaviour, pick devices or log devices, or
/// mount read-only behind a read-write share's back do not get through.
enum MountOptions {
    /// Options for every filesystem: access-time handling, discard, and restrictions.
    static let common = [
        "noatime", "relatime", "strictatime", "nodiratime", "lazytime", "discard", "nodiscard", "nodev", "nosuid", "noexec",
    ]

    /// Every accepted option; `=N` stands for a number with an optional k/m/g suffix.
    static func allowed(for filesystem: FilesystemType, readOnly: Bool) -> [String] {
        let specific: [String]
        switch filesystem {
        case .ext4: specific = ["data=ordered", "data=writeback", "data=journal", "commit=N", "barrier", "nobarrier"]
        case .xfs: specific = ["inode64", "logbsize=N", "allocsize=N", "largeio", "noquota"]
        }
        return common + specific + (readOnly ? ["ro"] : [])
    }

    /// Each element may itself hold several options separated by commas; empty ones are ignored.
    static func split(_ options: [String]) -> [String] {
        options.flatMap { $0.split(separator: ",").map(String.init) }
    }

    static func validate(_ options: [String], for filesystem: FilesystemType, readOnly: Bool) throws(DeviceError) {
        let allowed = allowed(for: filesystem, readOnly: readOnly)
        for option in split(options) where !allowed.contains(where: { matches(option, $0) }) {
            throw .invalidMountOption(option: option, filesystem: filesystem, allowed: allowed.joined(separator: ", "))
        }
    }

    static func matches(_ option: String, _ template: String) -> Bool {
        guard template.hasSuffix("=N") else { return option == template }
        let name = template.dropLast()
        guard option.hasPrefix(name) else { return false }
        var number = option.dropFirst(name.count)
        if let last = number.last, "kKmMgG".contains(last) { number = number.dropLast() }
        return !number.isEmpty && number.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// The options of the read-write (or read-only) mount, each once. ext4 always gets
    /// `errors=remount-ro`: its default, "continue", keeps writing to a damaged filesystem.
    static func arguments(_ options: [String], for filesystem: FilesystemType, readOnly: Bool) -> [String] {
        var all = readOnly ? ["ro"] : []
        for option in split(options) where !all.contains(option) { all.append(option) }
        if filesystem == .ext4 { all.append("errors=remount-ro") }
        return all
    }

    /// Why a refused option that looks reasonable is refused anyway.
    static func hint(for option: String) -> String {
        if option.hasPrefix("errors=") { return " (share-manager always mounts ext4 with errors=remount-ro, so that an error stops writes)" }
        if option == "ro" { return " ('ro' is only for a read-only share)" }
        return ""
    }
}
