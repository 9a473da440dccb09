import ChildProcesses
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

extension Executables {
    /// Where `name` is, or the usual place, so that a missing program is named in the
    /// spawn error with a path an operator recognises.
    static func find(_ name: String) -> String { search(name) ?? "/usr/bin/" + name }
}
