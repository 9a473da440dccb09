import FoundationEssentials
import Glibc
import LinuxSupport
import Synchronization

/// An open descriptor holding `flock(LOCK_EX)`. The kernel drops the lock when the holder
/// closes it or dies, so a lock nobody holds proves that whoever took it is gone, which a
/// pid file cannot (its pid may have been reused since).
public final class ExclusiveLock: Sendable, Equatable {
    /// What the lock is on.
    public let path: String
    private let descriptor: Mutex<Int32?>

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = Mutex(descriptor)
    }

    /// What `take` found.
    enum Attempt {
        case taken(ExclusiveLock)
        /// Someone else holds it; says who, as far as /proc/locks tells.
        case held(by: String)
    }

    /// Takes the lock without waiting. `flags` are added to `O_RDONLY`: a read-only open of a
    /// block device, unlike a writable one, makes udev re-probe nothing at its close.
    static func take(_ path: String, flags: Int32 = 0) throws(DeviceError) -> Attempt {
        let fd = try SystemCall.open(path, O_RDONLY | flags)
        do {
            _ = try retryingInterrupts { flock(fd, LOCK_EX | LOCK_NB) }
        } catch {
            close(fd)
            if error == .wouldBlock { return .held(by: holder(of: path)) }
            throw .systemCall("flock", path: path, errno: error)
        }
        return .taken(ExclusiveLock(path: path, descriptor: fd))
    }

    /// The descriptor while the lock is held.
    var fd: Int32? { descriptor.withLock { $0 } }

    /// Idempotent: an orderly release and a forced one may both come, and a descriptor
    /// number closed twice could by then be someone else's. Unlocks before the close: a
    /// close drops the lock only with the last copy of the descriptor, and a child forked
    /// by another thread holds copies of all of ours until its exec. The next claim of the
    /// same device (a leftover mount's claim, then the start's own) found the lock still
    /// held by such a copy while dbus-daemon was being spawned, and its holder gone from
    /// /proc/locks a moment later (CI, LeftoverTests' block-device case).
    public func release() {
        descriptor.withLock { fd in
            if let open = fd {
                // An unlock cannot fail on a descriptor we hold; the close follows either way.
                _ = try? retryingInterrupts { flock(open, LOCK_UN) }
                close(open)
            }
            fd = nil
        }
    }

    deinit { release() }

    public static func == (lhs: ExclusiveLock, rhs: ExclusiveLock) -> Bool { lhs === rhs }

    /// Who holds a flock on `path`: /proc/locks names the pid and the file by
    /// `major:minor:inode` of the filesystem holding it (in hexadecimal).
    static func holder(of path: String) -> String {
        guard let file = try? FileIdentity.of(path),
              let table = try? SystemCall.readFile("/proc/locks") else { return "another process" }
        let (major, minor) = FileIdentity.split(file.device)
        let key = "\(hex2(major)):\(hex2(minor)):\(file.inode)"
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ")
            // A waiter's line has "->" after the number; only the holder counts.
            guard fields.count > 5, fields[1] == "FLOCK", fields[5] == key, let pid = Int32(fields[4]), pid > 0 else { continue }
            let name = (try? SystemCall.readFile("/proc/\(pid)/comm"))?.trimmingLineBreaks ?? ""
            return name.isEmpty ? "pid \(pid)" : "\(name) (pid \(pid))"
        }
        return "another process"
    }

    private static func hex2(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return digits.count < 2 ? "0" + digits : digits
    }
}
