import FoundationEssentials
import Glibc
import Logging

extension VolumePreparer {
    /// Releases this volume's own mount at the mount point when the instance that made it no
    /// longer runs (killed, OOM, crashed): until then the mount point looks in use and the
    /// image attached, and nothing else would ever clear them.
    ///
    /// How it tells: every running instance holds `flock(LOCK_EX)` on the mounted root from
    /// its mount until its release (`rootLock`), and the kernel drops the lock when that
    /// process dies. The device claim is taken first, so an instance between its check and
    /// its mount (which does not hold the root lock yet) is not mistaken for a dead one.
    /// Anything else mounted there is left alone and refused later (`mountPointInUse`).
    func releaseLeftoverMount(of identity: FileIdentity) async throws(DeviceError) {
        guard let entry = try MountTable.current().entry(at: mountPoint),
              let mounted = ownDevice(numbered: entry.majorMinor, identity: identity) else { return }
        let claim = try DeviceUsage.claim(mounted)
        switch try ExclusiveLock.take(mountPoint, flags: O_DIRECTORY) {
        case .held(let holder):
            claim.release()
            throw .volumeInUse(mountPoint: mountPoint, holder: holder)
        case .taken(let probe):
            probe.release()
        }
        logger.warning("found this volume mounted at the mount point by a share-manager that no longer runs; unmounting it", metadata: [
            "device": "\(mounted)", "mountPoint": "\(mountPoint)",
        ])
        do throws(DeviceError) {
            try await Mounter(runner: runner).unmount(mountPoint)
        } catch {
            claim.release()
            if case .unmountBusy = error { throw .volumeInUse(mountPoint: mountPoint, holder: "processes with files open in it (fuser -vm \(mountPoint))") }
            throw error
        }
        // Our claim was the last opener: an autoclear loop device detaches at this close.
        claim.release()
        if mounted != device {
            // One attached without autoclear (by an older share-manager) is detached here.
            try LoopAttachment(device: mounted, image: device).detachUnlessCleared(logger: logger)
        }
    }

    /// The node of the device numbered `majorMinor` when it is this volume's: the block
    /// device itself, or a loop device whose backing file is the image.
    private func ownDevice(numbered majorMinor: String, identity: FileIdentity) -> String? {
        switch identity.kind {
        case .block:
            return majorMinor == identity.majorMinor ? device : nil
        case .regular:
            let sysfs = URL(fileURLWithPath: "/sys/dev/block/" + majorMinor).resolvingSymlinksInPath().lastPathComponent
            guard sysfs.hasPrefix("loop") else { return nil }
            let loop = "/dev/" + sysfs
            guard let bound = LoopIoctl.backing(of: loop), bound.device == identity.device, bound.inode == identity.inode else { return nil }
            return loop
        case .other:
            return nil
        }
    }
}
