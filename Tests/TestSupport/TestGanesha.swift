import Foundation

/// The Ganesha the tests run: the host's, or another Debian root's when scripts/test.sh puts
/// scripts/ganesha-in-root.sh first on PATH as `ganesha.nfsd` (its second pass, Ganesha 6.5).
public enum TestGanesha {
    /// The major version `ganesha.nfsd -v` reports ("NFS-Ganesha Release = V6.5"), or nil
    /// when it cannot be run or read.
    public static let major: Int? = {
        guard let executable = TestEnvironment.which("ganesha.nfsd"),
              let output = try? runCommand([executable, "-v"]).stdout,
              let range = output.range(of: #"Release = V(\d+)"#, options: .regularExpression)
        else { return nil }
        return Int(output[range].drop { !$0.isNumber })
    }()

    /// The NFS_CORE_PARAM line a test's own config needs on this Ganesha. 6.5 marks itself an
    /// IO flusher at start and, by default, exits when that fails, which it does without
    /// CAP_SYS_RESOURCE (this machine's bounding set lacks it); 4.x does not know the option
    /// and would warn about it. 5.x is unchecked: given the line, it at worst warns.
    public static var coreParamLines: String {
        (major ?? 4) >= 5 ? "    Allow_Set_Io_Flusher_Fail = true;\n" : ""
    }
}
