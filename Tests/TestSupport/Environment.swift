import Foundation

/// What the machine offers the tests, and whether a missing piece is a skip or a failure.
///
/// CI sets `SHARE_MANAGER_REQUIRE_INTEGRATION=1` so that a test needing root, Ganesha or a
/// loop device fails instead of skipping: nothing is skipped silently there (``RealParts``).
public enum TestEnvironment {
    public static var isRoot: Bool { geteuid() == 0 }

    public static var integrationRequired: Bool {
        ProcessInfo.processInfo.environment["SHARE_MANAGER_REQUIRE_INTEGRATION"] == "1"
    }

    /// The first executable named `name` on PATH (plus the sbin folders, which root's PATH may lack).
    public static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        for dir in dirs {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// The folder that holds the built products (`share-manager` next to the test bundle).
    public static var productsDirectory: URL {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The test bundle may be `X.xctest` (a file on Linux) inside the products folder.
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("share-manager").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }

    /// The repository root: the nearest parent of this source file holding Package.swift.
    public static var repositoryRoot: URL {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }
}
