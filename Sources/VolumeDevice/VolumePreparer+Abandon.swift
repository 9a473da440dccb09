import Logging

/// What a forced release did, for the one line that tells the operator what was skipped.
public struct AbandonedRelease: Sendable, Equatable {
    /// The mount was detached from the tree with `umount -l`; the filesystem is finished off
    /// by the kernel once its last user lets go.
    public var lazilyUnmounted = false
    /// The loop device we attached is detached, or will detach itself once the lazily
    /// unmounted filesystem lets go of it (the kernel's autoclear).
    public var loopDetached = false
    /// What failed, each on its own, for the log.
    public var problems: [DeviceError] = []

    public init() {}
}

extension VolumePreparer {
    /// The release of a shutdown that ran out of time: `umount -l` instead of waiting for a
    /// busy mount, then the loop detach, which the kernel defers while the device is in use.
    /// Never throws and never retries: each step's failure is reported in the result.
    /// Blocks while the tools run; the caller bounds it.
    /// The loop is detached only while it still holds the image: an orderly release running
    /// meanwhile may have freed the number, and another volume may have it now.
    public static func abandon(_ prepared: PreparedVolume, logger: Logger) -> AbandonedRelease {
        let runner = ToolRunner(logger: logger)
        var result = AbandonedRelease()
        prepared.rootLock?.release()
        do throws(DeviceError) {
            // Not mounted any more: an orderly unmount still running got there first.
            if try MountTable.current().isMountPoint(prepared.mountPoint) {
                try Mounter(runner: runner).detachLazily(prepared.mountPoint)
                result.lazilyUnmounted = true
            }
        } catch {
            result.problems.append(error)
        }
        if let loop = prepared.loop {
            do throws(DeviceError) {
                try loop.detach(logger: logger)
                result.loopDetached = true
            } catch {
                result.problems.append(error)
            }
        }
        return result
    }
}
