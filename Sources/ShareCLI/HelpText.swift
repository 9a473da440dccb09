/// What `--help` says beyond the flags: the variables and the exit codes. The variables are
/// made from `OptionNames.all`, the table the environment fallback reads, so the two
/// cannot drift apart.
public enum HelpText {
    public static let environment: String = {
        let names = OptionNames.all.map { (OptionNames.environmentVariable(for: $0), $0) }
        let width = names.map(\.0.count).max() ?? 0
        let rows = names.map { variable, flag in
            "  " + variable + String(repeating: " ", count: width - variable.count + 2) + "--" + flag
        }
        return (["ENVIRONMENT (run and render; a flag wins over its variable; status, clients and the other control commands read SHARE_MANAGER_CONTROL_SOCKET, SHARE_MANAGER_STATE_DIR and SHARE_MANAGER_VOLUME):"] + rows)
            .joined(separator: "\n")
    }()

    /// Lines under 80 columns: ArgumentParser wraps longer ones without indenting them.
    public static let exitCodes = """
        EXIT CODES:
          0  done (run stopped in order; any other command succeeded)
          1  failed while running, or the control API refused or could not be reached
          2  bad input: a flag, variable or path was refused; nothing was touched
        """

    /// For a command's `discussion`.
    public static let environmentAndExitCodes = environment + "\n\n" + exitCodes
}
