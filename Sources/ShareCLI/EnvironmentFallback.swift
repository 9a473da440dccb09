/// ArgumentParser has no environment fallback, so we add the missing flags to the
/// arguments before parsing: `SHARE_MANAGER_NFS_PORT=2050` becomes `--nfs-port 2050`
/// unless `--nfs-port` was given. One mechanism for every flag.
public enum EnvironmentFallback {
    public static func apply(to arguments: [String], environment: [String: String]) -> [String] {
        // Everything after `--` is positional, not a flag.
        let flagsPart = arguments.prefix { $0 != "--" }
        var added: [String] = []
        for flag in OptionNames.all {
            let given = flagsPart.contains { $0 == "--\(flag)" || $0.hasPrefix("--\(flag)=") }
            if !given, let value = environment[OptionNames.environmentVariable(for: flag)] {
                // The `=` form keeps a value that starts with '-' from being read as a flag.
                added.append("--\(flag)=\(value)")
            }
        }
        guard !added.isEmpty else { return arguments }
        let split = arguments.firstIndex(of: "--") ?? arguments.endIndex
        return Array(arguments[..<split]) + added + Array(arguments[split...])
    }

    /// One warning for each variable that looks like a misspelt `SHARE_MANAGER_*` flag
    /// variable (any case, at most two letters off, or the same letters without the
    /// underscores), naming the one it is near: otherwise the setting is silently not used.
    /// Variables near none are left alone: the scripts and tests read some of their own.
    public static func misspellings(in environment: [String: String]) -> [String] {
        let known = Set(OptionNames.all.map(OptionNames.environmentVariable(for:)))
        return environment.keys.sorted().compactMap { name in
            guard !known.contains(name), name.uppercased().hasPrefix("SHARE_MANAGER") else { return nil }
            let near = known.map { ($0, distance(squashed(name), squashed($0))) }
                .filter { $0.1 <= ($0.0.count - "SHARE_MANAGER_".count >= 6 ? 2 : 1) }
                .min { ($0.1, $0.0) < ($1.1, $1.0) }
            return near.map { "environment variable \(name) is not one share-manager reads; did you mean \($0.0)? (it is ignored)" }
        }
    }

    /// Upper case without underscores: `share_manager_nfsport` and `SHARE_MANAGER_NFS_PORT` meet.
    private static func squashed(_ name: String) -> [Character] {
        Array(name.uppercased().filter { $0 != "_" && $0 != "-" })
    }

    /// Levenshtein distance; names are short, so the plain two-row table does.
    private static func distance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var row = [i + 1]
            for (j, y) in b.enumerated() {
                row.append(min(previous[j + 1] + 1, row[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = row
        }
        return previous[b.count]
    }
}
