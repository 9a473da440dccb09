import FoundationEssentials
import Glibc

/// The environment our children get: ours, minus systemd's notification variables, which
/// belong to share-manager alone (a child could otherwise report READY or feed the watchdog).
enum ChildEnvironment {
    static func make(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { environment[key] = nil }
        return environment.merging(extra) { $1 }
    }
}

enum Executables {
    static func find(_ name: String) -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        return dirs.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/" + name
    }
}
