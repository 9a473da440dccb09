import Foundation

/// The userspace NFSv4.1 client the tests drive (`Tests/IntegrationTests/Tools/nfs_client.py`,
/// on nfs-rs from the venv that scripts/install-deps.sh makes).
public enum NFSTestClient {
    /// The venv python with nfs-rs: `SHARE_MANAGER_TEST_PYTHON`, else `.venv/bin/python`.
    public static var python: String? {
        let candidates = [
            ProcessInfo.processInfo.environment["SHARE_MANAGER_TEST_PYTHON"],
            TestEnvironment.repositoryRoot.appendingPathComponent(".venv/bin/python").path,
        ].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public static var script: String {
        TestEnvironment.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Tools/nfs_client.py").path
    }

    /// Why the client cannot run here, or nil when it can.
    public static var missing: String? {
        python == nil ? "needs the nfs-rs venv (.venv/bin/python, made by scripts/install-deps.sh)" : nil
    }

    /// Writes `size` random bytes to `file` on the export at `pseudo`, over NFSv4.1 to
    /// 127.0.0.1:`port`; returns the client's result ("sha256 size" on stdout when status is 0).
    public static func write(port: UInt16, pseudo: String, file: String, size: Int) throws -> CommandResult {
        guard let python else { throw FixtureError(missing ?? "no python") }
        let url = "nfs://127.0.0.1:\(port)\(pseudo)?version=4.1"
        return try runCommand([python, script, "write", url, file, String(size)])
    }
}
