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
}
