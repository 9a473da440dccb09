import Foundation
import Testing
import TestSupport

/// A QEMU guest running Debian's kernel and its NFS client, with our probe
/// (Tools/kernel-guest/probe.c) as the application: the client every Pod uses, driven from
/// outside. Built by scripts/kernel-client.sh; see docs/kernel-client.md.
final class KernelGuest: Sendable {
    let id: String
    let qemu: ChildProcess
    let consolePath: String
    private let serial: GuestSerial

    enum Fixture {
        static var directory: String {
            ProcessInfo.processInfo.environment["SHARE_MANAGER_KERNEL_CLIENT_DIR"]
                ?? TestEnvironment.repositoryRoot.appendingPathComponent(".build-kernel-client").path
        }
        static var kernel: String { directory + "/vmlinux" }
        static var initramfs: String { directory + "/initramfs.cpio" }

        /// What a guest needs: the suites' gate (`.needs(KernelGuest.Fixture.parts)`).
        static var parts: [RealPart] {
            [.root, .tools(["qemu-system-x86_64", "ganesha.nfsd", "dbus-daemon", "losetup"]),
             .files([kernel, initramfs], builtBy: "scripts/kernel-client.sh")]
        }
    }

    private init(id: String, qemu: ChildProcess, consolePath: String, serial: GuestSerial) {
        self.id = id
        self.qemu = qemu
        self.consolePath = consolePath
        self.serial = serial
    }

    /// QEMU's user network, or SHARE_MANAGER_KERNEL_NETDEV (e.g. `tap,id=net0,ifname=tap0,
    /// script=no,downscript=no` in a network namespace whose tap holds 10.0.2.2/24), for the
    /// cross-check with real kernel TCP on both ends (docs/kernel-client.md).
    static var netdev: String { ProcessInfo.processInfo.environment["SHARE_MANAGER_KERNEL_NETDEV"] ?? "user,id=net0" }

    /// Boots a guest whose hostname and nfs4_unique_id are `id` and waits for its probe.
    /// QEMU runs niced: the guest is emulated (TCG) and must not starve the server under test.
    static func boot(_ id: String, in dir: TemporaryDirectory, timeout: Duration = .seconds(120)) async throws -> KernelGuest {
        if let why = RealParts.missing(Fixture.parts) { throw FixtureError("cannot boot a kernel-client guest: \(why)") }
        let socket = dir.file("\(id).serial")
        let console = dir.file("\(id).console")
        let argv = [
            "/usr/bin/nice", "-n", "10", TestEnvironment.which("qemu-system-x86_64") ?? "qemu-system-x86_64",
            "-accel", "tcg", "-cpu", "max", "-m", "512", "-nodefaults", "-display", "none", "-no-reboot",
            "-kernel", Fixture.kernel, "-initrd", Fixture.initramfs,
            "-append", "console=ttyS0 panic=-1 quiet no_timer_check sm.id=\(id)",
            "-serial", "file:\(console)",
            "-chardev", "socket,id=probe,path=\(socket),server=on,wait=on", "-serial", "chardev:probe",
            "-netdev", netdev, "-device", "virtio-net-pci,netdev=net0,romfile=",
        ]
        let qemu = try ChildProcess(argv, logDirectory: dir.path, name: "qemu-\(id)")
        do {
            let serial = try await GuestSerial.connect(socket, timeout: .seconds(30)) { qemu.isRunning }
            let guest = KernelGuest(id: id, qemu: qemu, consolePath: console, serial: serial)
            let ready = try await guest.wait(for: "ready", after: 0, timeout: timeout)
            guard ready["hostname"] as? String == id else { throw FixtureError("guest \(id) came up as \(ready)") }
            return guest
        } catch {
            await qemu.stop(grace: .seconds(2))
            throw error
        }
    }

    /// Boots guests concurrently, runs `body`, then stops every guest by PID, pass or fail.
    static func with<T>(_ ids: [String], in dir: TemporaryDirectory, _ body: ([KernelGuest]) async throws -> T) async throws -> T {
        var guests: [KernelGuest] = []
        do {
            try await withThrowingTaskGroup(of: KernelGuest.self) { group in
                for id in ids { group.addTask { try await boot(id, in: dir) } }
                for try await guest in group { guests.append(guest) }
            }
            guests.sort { ids.firstIndex(of: $0.id)! < ids.firstIndex(of: $1.id)! }
            let result = try await body(guests)
            for guest in guests { await guest.stop() }
            return result
        } catch {
            for guest in guests { await guest.stop() }
            throw error
        }
    }

    /// Every event so far, parsed.
    var events: [[String: Any]] {
        serial.received.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Sends `command` and waits for the first event named one of `replies` after it.
    @discardableResult
    func request(_ command: String, replies: Set<String>, timeout: Duration = .seconds(60)) async throws -> [String: Any] {
        let before = serial.received.count
        try serial.send(command)
        return try await wait(forAny: replies, after: before, timeout: timeout, command: command)
    }

    /// Sends `command` without waiting; returns the mark that `reply(after:among:)` takes.
    func send(_ command: String) throws -> Int {
        let before = serial.received.count
        try serial.send(command)
        return before
    }

    /// The first event named one of `names` after `index`, if it has come.
    func reply(after index: Int, among names: Set<String>) -> [String: Any]? {
        for line in serial.received.dropFirst(index) {
            guard let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            if let name = event["event"] as? String, names.contains(name) { return event }
        }
        return nil
    }

    func wait(for name: String, after index: Int, timeout: Duration) async throws -> [String: Any] {
        try await wait(forAny: [name], after: index, timeout: timeout, command: nil)
    }

    private func wait(forAny names: Set<String>, after index: Int, timeout: Duration, command: String?) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let event = reply(after: index, among: names) { return event }
            let lines = serial.received
            let what = command.map { "a reply to '\($0)'" } ?? names.sorted().joined(separator: "/")
            if serial.isClosed || !qemu.isRunning {
                let status = qemu.isRunning ? "running" : "exited \(qemu.process.terminationStatus)"
                throw FixtureError("guest \(id) ended before \(what) (QEMU \(status), serial closed: \(serial.isClosed)); QEMU:\n\(qemu.output)\nconsole:\n\(console)")
            }
            if ContinuousClock.now >= deadline {
                throw FixtureError("guest \(id): no \(what) within \(timeout); events: \(lines.suffix(10)); console:\n\(console)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The kernel's console, for failure messages.
    var console: String {
        let text = (try? String(contentsOfFile: consolePath, encoding: .utf8)) ?? ""
        return String(text.suffix(3000))
    }

    /// Mounts `sm`'s export at `dir` in the guest; throws with the errno when that fails.
    func mount(_ sm: ShareManagerUnderTest, at dir: String) async throws {
        let reply = try await request("mount \(dir) \(sm.nfsPort) /\(sm.volume)", replies: ["mounted", "mount-failed"])
        guard reply["event"] as? String == "mounted" else { throw FixtureError("guest \(id) could not mount: \(reply); console:\n\(console)") }
    }

    /// QEMU by PID: SIGTERM ends the emulator at once (the guest has nothing to save).
    func stop() async {
        await qemu.stop(grace: .seconds(5))
        serial.shutdownConnection()
    }
}
