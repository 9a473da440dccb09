import FoundationEssentials
import Glibc
import Logging
import LinuxSupport

/// mount(2) and umount2(2), called directly: mount(8) and umount(8) cost a process start
/// each (about 3 ms here, three times on every start: peek, its undo, the real mount) and
/// add nothing for a block device whose filesystem type is known.
struct Mounter: Sendable {
    let runner: ToolRunner

    func mount(_ device: String, at mountPoint: String, as filesystem: FilesystemType, options: [String]) throws(DeviceError) {
        let (flags, data) = MountFlags.split(options)
        do {
            _ = try retryingInterrupts { Glibc.mount(device, mountPoint, filesystem.rawValue, flags, data) }
        } catch {
            throw .mountFailed(device: device, mountPoint: mountPoint, options: options.joined(separator: ","), errno: error)
        }
        runner.logger.info("mounted", metadata: [
            "device": "\(device)", "mountPoint": "\(mountPoint)", "options": "\(options.joined(separator: ","))",
        ])
    }

    /// Unmounts, retrying with a growing pause while the kernel says "busy" (a just-exited
    /// Ganesha or a shell in the folder lets go within moments).
    func unmount(_ mountPoint: String, attempts: Int = 5) async throws(DeviceError) {
        var pause = Duration.milliseconds(100)
        var attempt = 0
        while true {
            // An interrupted call is repeated at once and is not a busy attempt; counting it
            // could end the loop with the filesystem still mounted and nothing thrown.
            do {
                _ = try retryingInterrupts { umount2(mountPoint, 0) }
                runner.logger.info("unmounted", metadata: ["mountPoint": "\(mountPoint)"])
                return
            } catch where error == .resourceBusy {
                attempt += 1
                if attempt >= attempts { throw .unmountBusy(mountPoint: mountPoint, detail: error.description) }
            } catch {
                throw .systemCall("umount", path: mountPoint, errno: error)
            }
            runner.logger.warning("mount point busy, retrying unmount", metadata: [
                "mountPoint": "\(mountPoint)", "attempt": .stringConvertible(attempt),
            ])
            // Cleanup must finish even when the task is cancelled, so a cancelled sleep is ignored.
            try? await Task.sleep(for: pause)
            pause *= 2
        }
    }

    /// `umount -l`: the mount leaves the tree now, the filesystem is finished off once its
    /// last user lets go.
    func detachLazily(_ mountPoint: String) throws(DeviceError) {
        do {
            _ = try retryingInterrupts { umount2(mountPoint, Int32(MNT_DETACH)) }
        } catch {
            throw .systemCall("umount -l", path: mountPoint, errno: error)
        }
        runner.logger.info("lazily unmounted", metadata: ["mountPoint": "\(mountPoint)"])
    }
}

/// Splits mount options as mount(8) does: the generic ones are flag bits of mount(2), the
/// rest is the filesystem's own option string.
enum MountFlags {
    /// From linux/mount.h; the values are part of the kernel ABI.
    static let bits: [String: UInt] = [
        "ro": 1, "nosuid": 2, "nodev": 4, "noexec": 8, "noatime": 1 << 10, "nodiratime": 1 << 11,
        "relatime": 1 << 21, "strictatime": 1 << 24, "lazytime": 1 << 25,
    ]

    static func split(_ options: [String]) -> (flags: UInt, data: String) {
        var flags: UInt = 0
        var data: [String] = []
        for option in MountOptions.split(options) {
            if let bit = bits[option] { flags |= bit } else { data.append(option) }
        }
        return (flags, data.joined(separator: ","))
    }
}
