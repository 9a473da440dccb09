import Foundation

/// The Ganesha the tests run: the host's, or another Debian root's when scripts/test.sh puts
/// scripts/ganesha-in-root.sh first on PATH as `ganesha.nfsd` (its second pass, Ganesha 6.5).
public enum TestGanesha {
    /// What `ganesha.nfsd -v` printed ("NFS-Ganesha Release = V6.5"), for a test that renders
    /// share-manager's config for this Ganesha (`GaneshaVersion.parse(versionOutput:)`).
    public static let versionOutput: String = {
        guard let executable = TestEnvironment.which("ganesha.nfsd") else { return "" }
        return (try? runCommand([executable, "-v"]).stdout) ?? ""
    }()

    /// The major version in ``versionOutput``, or nil when it cannot be read.
    public static var major: Int? {
        guard let range = versionOutput.range(of: #"Release = V(\d+)"#, options: .regularExpression) else { return nil }
        return Int(versionOutput[range].drop { !$0.isNumber })
    }

    /// The NFS_CORE_PARAM line a test's own config needs on this Ganesha, as share-manager's
    /// template renders it: 6.x marks itself an IO flusher at start and, by default, exits
    /// when that fails, which it does without CAP_SYS_RESOURCE (this machine's bounding set
    /// lacks it); 4.x does not know the option and would warn about it.
    public static var coreParamLines: String {
        (major ?? 4) >= 6 ? "    Allow_Set_Io_Flusher_Fail = true;\n" : ""
    }
}
