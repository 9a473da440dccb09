import GaneshaConfig
import VolumeDevice

extension ShareManagerOptions {
    /// The mount point rules (see `MountPointRules`) as a flag error: exit 2 before anything
    /// is created. A folder that is a mount point now is judged again by `prepare`, after it
    /// has released a leftover mount of this volume.
    static func checkMountPoint(_ mountPoint: SafePath, stateDir: SafePath, recoveryDir: SafePath?) throws(ValidationError) {
        var others = [(flag: "state-dir", path: stateDir.value)]
        if let recoveryDir { others.append((flag: "recovery-dir", path: recoveryDir.value)) }
        let reason: String?
        do {
            reason = try MountPointRules.problem(with: mountPoint.value, overlapping: others)
        } catch {
            reason = "\(error)"
        }
        if let reason { throw ValidationError(flag: "mount-point", reason: "\(mountPoint.value): \(reason)") }
    }
}
