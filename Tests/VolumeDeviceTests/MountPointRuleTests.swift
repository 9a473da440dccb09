import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

/// Issue 16 row 5, the rules themselves: refused where the host would be hurt, and not a
/// folder more (a kubelet's volume path, /mnt/NAME and the default /export/NAME pass).
@Suite struct MountPointRuleTests {
    @Test(arguments: [
        "/", "/etc", "/etc/cron.d/sm", "/usr", "/usr/lib", "/usr/local/share/x", "/lib64", "/boot/efi", "/dev/shm/x", "/proc/1",
        "/sys/fs/x", "/root/vol", "/var/spool/cron", "/var", "/var/lib", "/var/lib/kubelet", "/var/run", "/run", "/tmp", "/mnt", "/home",
    ])
    func systemPathsAreRefused(_ path: String) {
        #expect(MountPointRules.systemProblem(path) != nil, "\(path) passed")
    }

    @Test(arguments: [
        "/export/pvc-1", "/mnt/vol", "/var/lib/kubelet/pods/0a1b/volumes/kubernetes.io~csi/pvc-1/mount", "/run/share-manager/mnt",
        "/srv/nfs/vol", "/tmp/sm-test/mnt", "/data/vol", "/home/user/vol", "/opt/vol",
    ])
    func volumePathsPass(_ path: String) {
        #expect(MountPointRules.systemProblem(path) == nil, "\(path): \(MountPointRules.systemProblem(path) ?? "")")
    }

    @Test func overlapIsFoundEitherWayRoundAndThroughSymlinks() throws {
        let dir = try TemporaryDirectory(prefix: "sm-mount-rules")
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.file("mnt"), withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: dir.file("alias"), withDestinationPath: dir.file("mnt"))
        let mount = dir.file("mnt")
        #expect(MountPointRules.overlap(mount, ("state-dir", mount)) != nil)
        #expect(MountPointRules.overlap(mount, ("state-dir", mount + "/state")) != nil)
        #expect(MountPointRules.overlap(mount + "/inner", ("state-dir", mount)) != nil)
        #expect(MountPointRules.overlap(mount, ("recovery-dir", dir.file("alias") + "/rec/new")) != nil, "a symlinked state dir inside the mount point passed")
        #expect(MountPointRules.overlap(mount, ("state-dir", dir.file("mnt2"))) == nil, "a sibling sharing a name prefix was refused")
    }
}
