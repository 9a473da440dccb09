import Foundation
import SystemdNotify
import Testing
import TestSupport

/// Notifications over a real datagram socket, as systemd receives them.
///
/// sd_notify reads NOTIFY_SOCKET from the process environment, so each test sets it for
/// its own socket and removes it again; `.serialized` keeps the tests from overlapping.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct SystemdNotifierTests {
    @Test func everyNotificationArrives() throws {
        let dir = try TemporaryDirectory(prefix: "sm-notify")
        defer { dir.remove() }
        let socket = try NotificationSocket(path: dir.file("notify.sock"))
        try withNotifySocket(socket.address) { environment in
            let notifier = SystemdNotifier(environment: environment.merging(["WATCHDOG_USEC": "3000000"]) { $1 })
            #expect(notifier.isActive)
            notifier.ready(status: "serving http://127.0.0.1:9000")
            notifier.status("starting Ganesha")
            notifier.watchdogPing()
            notifier.stopping()
            #expect(socket.receive(count: 4) == [
                "READY=1\nSTATUS=serving http://127.0.0.1:9000", "STATUS=starting Ganesha", "WATCHDOG=1", "STOPPING=1",
            ])
        }
    }

    @Test func abstractSocketWorks() throws {
        let socket = try NotificationSocket(abstractName: "share-manager-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try withNotifySocket(socket.address) { environment in
            SystemdNotifier(environment: environment).ready(status: "abstract")
            #expect(socket.receive(count: 1) == ["READY=1\nSTATUS=abstract"])
        }
    }

    @Test func statusCannotInjectAssignments() throws {
        let dir = try TemporaryDirectory(prefix: "sm-notify")
        defer { dir.remove() }
        let socket = try NotificationSocket(path: dir.file("notify.sock"))
        try withNotifySocket(socket.address) { environment in
            let notifier = SystemdNotifier(environment: environment)
            notifier.status("ok\nREADY=1\r\nMAINPID=1\u{2028}ERRNO=5\0tail")
            notifier.ready(status: "a\nSTOPPING=1")
            let received = socket.receive(count: 2)
            #expect(received == ["STATUS=ok READY=1  MAINPID=1 ERRNO=5 tail", "READY=1\nSTATUS=a STOPPING=1"])
        }
    }

    /// The notifier's own environment decides: without NOTIFY_SOCKET there, nothing is
    /// sent even though the process environment points at a live socket.
    @Test func withoutNotifySocketNothingIsSent() throws {
        let dir = try TemporaryDirectory(prefix: "sm-notify")
        defer { dir.remove() }
        let socket = try NotificationSocket(path: dir.file("notify.sock"))
        try withNotifySocket(socket.address) { _ in
            let notifier = SystemdNotifier(environment: ["WATCHDOG_USEC": "1000000"])
            #expect(!notifier.isActive)
            #expect(notifier.watchdogInterval == nil)
            notifier.ready(status: "x")
            notifier.status("y")
            notifier.watchdogPing()
            notifier.stopping()
            #expect(socket.receive(count: 1, timeout: .milliseconds(300)).isEmpty)
        }
        // And with no socket anywhere, every call is a quiet no-op.
        let inactive = SystemdNotifier(environment: [:])
        inactive.ready(status: "x")
        inactive.stopping()
    }

    @Test func watchdogIntervalIsHalfOfWatchdogUsec() {
        let socket = ["NOTIFY_SOCKET": "/run/systemd/notify"]
        func interval(_ extra: [String: String]) -> Duration? {
            SystemdNotifier(environment: socket.merging(extra) { $1 }).watchdogInterval
        }
        #expect(interval(["WATCHDOG_USEC": "20000000"]) == .seconds(10))
        #expect(interval(["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "\(getpid())"]) == .seconds(10))
        #expect(interval(["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "\(getpid() + 1)"]) == nil)
        #expect(interval(["WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "abc"]) == nil)
        #expect(interval(["WATCHDOG_USEC": "0"]) == nil)
        #expect(interval(["WATCHDOG_USEC": "-5"]) == nil)
        #expect(interval(["WATCHDOG_USEC": "soon"]) == nil)
        #expect(interval([:]) == nil)
    }

    /// Points the process environment at `address` for `body`, then restores it.
    private func withNotifySocket(_ address: String, _ body: ([String: String]) throws -> Void) throws {
        let previous = getenv("NOTIFY_SOCKET").map { String(cString: $0) }
        setenv("NOTIFY_SOCKET", address, 1)
        defer {
            if let previous { setenv("NOTIFY_SOCKET", previous, 1) } else { unsetenv("NOTIFY_SOCKET") }
        }
        try body(ProcessInfo.processInfo.environment)
    }
}
