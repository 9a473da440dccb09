import Foundation
import Logging
import Synchronization
import Testing
import TestSupport
import VolumeDevice

/// One share-manager process under test, on loopback and ports it got by binding 0, in its
/// own temp dir.
struct ShareManagerUnderTest {
    let volume: String
    let dir: TemporaryDirectory
    let image: String
    /// Shared with the instances of `onAnotherNode`, which serve where clients were.
    private let pinnedNFSPort: NFSPortPin
    /// More flags for this run (fs type, recovery dir, ...).
    var extra: [String] = []
    /// share-manager's environment when not the test's own (e.g. a PATH with a gate first).
    var environment: [String: String]?
    var gracePeriod = 5
    var leaseLifetime = 5
    /// false: no --grace-period/--lease-lifetime (the defaults or a preset's).
    var timingFlags = true
    var mountPoint: String { sharedMountPoint ?? (node == "node-a" ? dir.file("mnt") : dir.file("mnt-\(node)")) }
    /// Another instance's mount point, for an instance that must find the volume there.
    var sharedMountPoint: String?
    var stateDir: String { node == "node-a" ? dir.file("state") : dir.file("state-\(node)") }
    var nfsURL: String { "nfs://127.0.0.1:\(nfsPort)/\(volume)?version=4.1" }

    /// The port Ganesha serves on. The first instance starts with `--nfs-port 0` (no port
    /// probed free and handed over later) and publishes Ganesha's choice in endpoint.json,
    /// read here once it serves; later instances of the test take that port, so a client
    /// finds the volume where it was after a restart. 0 when nothing served yet.
    var nfsPort: UInt16 { pinnedNFSPort.port(publishedIn: stateDir) }

    /// The port the running instance's probes server got with `--http-port 0`, from the file
    /// it publishes right after binding (`start` removes an earlier instance's); waits for it
    /// (bounded), 0 when none came.
    var httpPort: UInt16 {
        let file = stateDir + "/http-port"
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
               let port = UInt16(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                return port
            }
            usleep(5_000)
        }
        return 0
    }

    init(volume: String, dir: TemporaryDirectory, image: String) throws {
        self.init(volume: volume, dir: dir, image: image, nfsPort: NFSPortPin())
    }

    private init(volume: String, dir: TemporaryDirectory, image: String, nfsPort: NFSPortPin) {
        self.volume = volume
        self.dir = dir
        self.image = image
        pinnedNFSPort = nfsPort
    }

    /// Another instance of the same volume, as on another node: same image and NFS port,
    /// its own mount point, state dir and HTTP port.
    func onAnotherNode(_ name: String) throws -> ShareManagerUnderTest {
        var other = ShareManagerUnderTest(volume: volume, dir: dir, image: image, nfsPort: pinnedNFSPort)
        other.node = name
        other.extra = extra
        other.gracePeriod = gracePeriod
        other.leaseLifetime = leaseLifetime
        other.timingFlags = timingFlags
        return other
    }

    /// Names this instance's folders, so two instances of one volume do not share them.
    var node = "node-a"

    var arguments: [String] {
        [
            Binaries.shareManager, "run", "--volume", volume, "--device", image,
            "--mount-point", mountPoint, "--state-dir", stateDir,
            "--nfs-address", "127.0.0.1", "--nfs-port", String(pinnedNFSPort.pinned ?? 0),
            "--http-address", "127.0.0.1", "--http-port", "0",
        ] + (timingFlags ? ["--grace-period", String(gracePeriod), "--lease-lifetime", String(leaseLifetime)] : []) + extra
    }

    func start(name: String) throws -> ChildProcess {
        // An earlier instance's port must not be mistaken for this one's.
        unlink(stateDir + "/http-port")
        return try ChildProcess(arguments, environment: environment, logDirectory: dir.path, name: name)
    }

    func get(_ path: String) async -> (status: Int, body: String) {
        await HTTPGet.fetch(host: "127.0.0.1", port: httpPort, path: path)
    }

    /// Waits (bounded) for /readyz to answer 200 while the process runs.
    /// Waits (bounded) for `path` to answer `status`; true when it did.
    func waitFor(_ path: String, status: Int, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await get(path).status == status { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// Ganesha's pid from its pid file; share-manager writes a new one when it restarts Ganesha.
    func ganeshaPid() throws -> pid_t {
        let text = try String(contentsOfFile: stateDir + "/ganesha.pid", encoding: .utf8)
        guard let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw POSIXError(.ESRCH) }
        return pid
    }

    /// Waits (bounded) until share-manager has started a Ganesha other than `old`: its pid
    /// file names another pid. Returns that pid, or nil.
    func waitForNewGanesha(replacing old: pid_t, timeout: Duration = .seconds(20)) async -> pid_t? {
        var new: pid_t?
        _ = await SocketProbe.waitUntil(timeout: timeout) {
            new = (try? ganeshaPid()).flatMap { $0 == old ? nil : $0 }
            return new != nil
        }
        return new
    }

    /// A gauge's value from /metrics, or nil.
    func metric(_ name: String) async -> Double? {
        let body = await get("/metrics").body
        let line = body.split(separator: "\n").first { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    func waitUntilReady(_ process: ChildProcess, timeout: Duration = .seconds(60)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline && process.isRunning {
            if await get("/readyz").status == 200 { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}

/// The NFS port of a test's instances once one of them published it (see `nfsPort`).
final class NFSPortPin: Sendable {
    private let port = Mutex<UInt16?>(nil)

    var pinned: UInt16? { port.withLock { $0 } }

    func port(publishedIn stateDir: String) -> UInt16 {
        port.withLock { pinned in
            if pinned == nil, let published = try? Endpoint.read(stateDir).port, published != 0 { pinned = published }
            return pinned ?? 0
        }
    }
}

enum Binaries {
    static var shareManager: String { TestEnvironment.productsDirectory.appendingPathComponent("share-manager").path }

    /// The venv python with nfs-rs that scripts/test.sh makes (or SHARE_MANAGER_TEST_PYTHON).
    static var python: String? {
        let candidates = [
            ProcessInfo.processInfo.environment["SHARE_MANAGER_TEST_PYTHON"],
            TestEnvironment.repositoryRoot.appendingPathComponent(".venv/bin/python").path,
        ].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var nfsClientScript: String {
        TestEnvironment.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Tools/nfs_client.py").path
    }
}

extension Trait where Self == ConditionTrait {
    /// What a share-manager under test needs: root, Ganesha, a bus daemon and the volume
    /// tools (and the NFS client with `python`); see ``RealParts``.
    static func realParts(python: Bool = false, extraTools: [String] = []) -> Self {
        .needs([.root, .tools(["ganesha.nfsd", "dbus-daemon", "losetup", "mkfs.ext4", "blkid", "wipefs"] + extraTools)] + (python ? [.nfsClient] : []))
    }
}

/// The NFSv4.1 client: returns "sha256 size" or the client's one-line error.
func nfsClient(_ args: [String]) throws -> CommandResult {
    guard let python = Binaries.python else { throw POSIXError(.ENOENT) }
    return try runCommand([python, Binaries.nfsClientScript] + args)
}

/// Mount points and loop devices, as the kernel sees them now.
enum SystemState {
    static func isMounted(_ path: String) -> Bool { MountInfo.isMounted(path) }

    static func loopDevices(backing image: String) -> String {
        ((try? runCommand(["losetup", "-j", image]))?.stdout ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Runs `body`, then stops `process` by PID (SIGTERM, then SIGKILL), whether `body` threw or not.
func stoppingAfterwards<T>(_ process: ChildProcess, _ body: () async throws -> T) async throws -> T {
    do {
        let result = try await body()
        await process.stop()
        return result
    } catch {
        await process.stop()
        throw error
    }
}

extension SystemState {
    /// Last-resort cleanup after a failed test: never leave a mount or a loop device behind.
    static func forceCleanup(mountPoint: String, image: String) {
        if isMounted(mountPoint) { _ = try? runCommand(["umount", "-l", mountPoint]) }
        for line in loopDevices(backing: image).split(separator: "\n") {
            if let device = line.split(separator: ":").first { detach(String(device), ifBacking: image) }
        }
    }

    /// Detaches `loop` only while `image` is behind it. A listing is stale at once: the loop
    /// may have been freed since and be another test's volume now, which `losetup -d` by
    /// name would pull from under it.
    static func detach(_ loop: String, ifBacking image: String) {
        _ = try? LoopAttachment.detach(loop, ifBacking: image, logger: Logger(label: "test-cleanup") { _ in SwiftLogNoOpLogHandler() })
    }
}

/// A fresh temp dir holding `volume.img` (sparse, `size`), passed to `body`; afterwards any
/// mount under it or loop device on the image is undone and the dir removed, pass or fail.
func withImage(
    prefix: String, size: String = "64M", _ body: (TemporaryDirectory, String) async throws -> Void
) async throws {
    let dir = try TemporaryDirectory(prefix: prefix)
    let image = dir.file("volume.img")
    defer {
        SystemState.forceCleanup(mountPoint: dir.file("mnt"), image: image)
        dir.remove()
    }
    try await runCommand(["truncate", "-s", size, image])
    try await body(dir, image)
}

extension SystemState {
    /// Mounts the image, lets `body` change it, unmounts and detaches. Blocking: call it off
    /// the test pool. Attached by hand, because `mount -o loop` detaches only at the loop
    /// device's last close, which another share-manager's scan of bound loop devices can
    /// defer past the next start, and share-manager rightly refuses an image still attached.
    static func changeImage(_ image: String, dir: TemporaryDirectory, _ body: (String) throws -> Void) throws {
        let root = dir.file("tamper")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let loop = try runCommand(["losetup", "--find", "--show", image]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard loop.hasPrefix("/dev/loop") else { throw FixtureError("losetup \(image) gave '\(loop)'") }
        var failure: (any Error)?
        let mounted = try runCommand(["mount", loop, root])
        if mounted.status == 0 {
            do { try body(root) } catch { failure = error }
            // Something may hold a file of it open for a moment: retry, bounded.
            let deadline = ContinuousClock.now + .seconds(30)
            while isMounted(root) && ContinuousClock.now < deadline {
                if (try? runCommand(["umount", root]))?.status != 0 { usleep(100_000) }
            }
        } else {
            failure = FixtureError("mount \(loop): \(mounted.stderr)")
        }
        let deadline = ContinuousClock.now + .seconds(10)
        repeat {
            // Retried while the kernel defers it; by name only while it is still ours.
            detach(loop, ifBacking: image)
            if loopDevices(backing: image).isEmpty { break }
            usleep(100_000)
        } while ContinuousClock.now < deadline
        let left = loopDevices(backing: image)
        guard left.isEmpty else {
            let holders = (try? runCommand(["sh", "-c", "fuser -vm \(loop) 2>&1; lsof \(loop) 2>&1; grep \(loop.dropFirst(5)) /proc/self/mountinfo"]))?.stdout ?? ""
            throw FixtureError("\(image) still attached after changing it (\(left)); mounted: \(isMounted(root)); \(holders)")
        }
        if let failure { throw failure }
    }
}

/// Starts share-manager (with `extra` flags) on a fresh image, waits until ready, runs
/// `body`, stops it.
func servingShareManager(
    _ volume: String, extra: [String] = [], _ body: (ShareManagerUnderTest, ChildProcess, TemporaryDirectory) async throws -> Void
) async throws {
    try await withImage(prefix: "sm-\(volume)") { dir, image in
        var sm = try ShareManagerUnderTest(volume: volume, dir: dir, image: image)
        sm.extra = extra
        let process = try sm.start(name: "run")
        try await stoppingAfterwards(process) {
            try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
            try await body(sm, process, dir)
        }
    }
}
