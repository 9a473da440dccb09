import GaneshaConfig
import LinuxSupport

extension ResolvedOptions {
    /// Refuses, before anything is touched, a state dir, recovery dir or control socket
    /// folder that someone other than root can write (see `TrustedPath`).
    public func checkTrustedPaths() throws(ValidationError) {
        try TrustedPath.check(stateDir.value, flag: "state-dir", last: .privateDirectory)
        if let recoveryDir {
            try TrustedPath.check(recoveryDir.value, flag: "recovery-dir", last: .notWritableByOthers)
        }
        try TrustedPath.check(parentFolder(of: control.socket.value), flag: "control-socket", last: .notWritableByOthers)
    }

    /// `checkTrustedPaths`, then the state dir made (root, 0700) if it is missing and checked
    /// again: `run` writes only into a directory it has just seen to be root's alone.
    public func prepareTrustedPaths() throws(ValidationError) {
        try checkTrustedPaths()
        try TrustedPath.prepare(stateDir.value, flag: "state-dir", last: .privateDirectory)
    }
}
