internal import CSystemd
import FoundationEssentials
import Glibc

/// Tells systemd how the service is doing (`sd_notify(3)`): ready, status text, stopping,
/// watchdog pings. Does nothing when the service was not started with `Type=notify`.
///
/// `environment` decides whether to notify at all (`NOTIFY_SOCKET`) and the watchdog
/// period; the datagram itself goes through libsystemd's `sd_notify`, which always reads
/// `NOTIFY_SOCKET` from the real process environment (libsystemd has no call that takes a
/// socket path). The default environment is that same one, so the two agree; a notifier
/// given an environment without `NOTIFY_SOCKET` never sends, whatever the process holds.
/// `NOTIFY_SOCKET` may name a path or an abstract socket (`@name`), as sd_notify accepts.
///
/// Notifications are best effort: a lost one shows in systemd as a start timeout or a
/// watchdog restart, which is the right outcome, so failures are not reported back.
public struct SystemdNotifier: Sendable {
    /// True when systemd asked for notifications (`NOTIFY_SOCKET` is set and not empty).
    public let isActive: Bool

    /// How often to call ``watchdogPing()``: half of the `WatchdogSec=` systemd announced in
    /// `WATCHDOG_USEC` (sd_watchdog_enabled(3) recommends pinging at half the timeout, so
    /// one late ping is not a restart). Nil without a watchdog, or when `WATCHDOG_PID`
    /// names another process (the watchdog was meant for a parent that exec'd us).
    public let watchdogInterval: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        isActive = !(environment["NOTIFY_SOCKET"] ?? "").isEmpty
        watchdogInterval = isActive ? Self.watchdogPeriod(environment) : nil
    }

    /// The service is up and serving (`READY=1`), with a status line for `systemctl status`.
    public func ready(status: String) {
        send("READY=1\nSTATUS=" + Self.sanitized(status))
    }

    /// A status line for `systemctl status` (`STATUS=`); newlines become spaces.
    public func status(_ text: String) {
        send("STATUS=" + Self.sanitized(text))
    }

    /// The service begins to shut down (`STOPPING=1`).
    public func stopping() {
        send("STOPPING=1")
    }

    /// The service is alive (`WATCHDOG=1`); call every ``watchdogInterval``.
    public func watchdogPing() {
        guard watchdogInterval != nil else { return }
        send("WATCHDOG=1")
    }

    private func send(_ state: String) {
        guard isActive else { return }
        // 0: keep NOTIFY_SOCKET in the environment, later notifications need it too.
        _ = sd_notify(0, state)
    }

    /// One line of text: each assignment is a line, so a line break in a status would let
    /// the text set other variables (`READY=1`, `MAINPID=`…) and a NUL would cut the C
    /// string. Control characters and Unicode line separators all become spaces.
    static func sanitized(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: scalars.append(" ")
            default: scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    private static func watchdogPeriod(_ environment: [String: String]) -> Duration? {
        guard let usec = environment["WATCHDOG_USEC"].flatMap({ UInt64($0) }), usec > 0,
              usec <= UInt64(Int64.max) else { return nil }
        if let pid = environment["WATCHDOG_PID"], !pid.isEmpty {
            guard let owner = Int32(pid), owner == getpid() else { return nil }
        }
        return .microseconds(Int64(usec / 2))
    }
}
