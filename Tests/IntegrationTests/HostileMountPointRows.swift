import Foundation
import Testing
import TestSupport

/// Folders a mount-point row needs before the run, under the row's temp dir; the test
/// checks that the run left them exactly as they were.
enum MountFixture: Sendable {
    /// `full/`, holding the file `keep`.
    case nonEmptyFolder
    /// `real/`, an empty folder, and `link`, a symlink to it.
    case symlinkedFolder

    var names: Set<String> {
        switch self {
        case .nonEmptyFolder: ["full"]
        case .symlinkedFolder: ["real", "link"]
        }
    }

    func make(in dir: String) throws {
        switch self {
        case .nonEmptyFolder:
            try FileManager.default.createDirectory(atPath: dir + "/full", withIntermediateDirectories: false)
            try Data("kept\n".utf8).write(to: URL(fileURLWithPath: dir + "/full/keep"))
        case .symlinkedFolder:
            try FileManager.default.createDirectory(atPath: dir + "/real", withIntermediateDirectories: false)
            try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/real")
        }
    }

    /// Every path under the fixture with its type, size, mode and modification time, symlinks not followed.
    func snapshot(in dir: String) throws -> String {
        try runCommand(["find"] + names.sorted().map { dir + "/" + $0 } + ["-printf", "%p %y %s %m %T@ %l\n"]).stdout
    }
}

extension HostileFlag {
    static func mountPoint(_ attack: String, _ value: String, with: [String: String] = [:], fixture: MountFixture? = nil) -> HostileFlag {
        HostileFlag(attack: "mount-point: \(attack)", flag: "mount-point", value: value, with: with, fixture: fixture)
    }

    /// Issue 16 row 5: nothing is mounted over, inside or above a system directory, through a
    /// symlink, on a folder that holds anything, or overlapping share-manager's own folders.
    static let mountPointRows: [HostileFlag] = [
        .mountPoint("/etc, a system directory", "/etc"),
        .mountPoint("/usr/lib, inside a system directory", "/usr/lib"),
        .mountPoint("/etc/cron.d/sm, inside a system directory (clients would write what cron runs)", "/etc/cron.d/sm"),
        .mountPoint("/usr, a parent of system directories", "/usr"),
        .mountPoint("/var/lib, a parent of /var/lib/kubelet", "/var/lib"),
        .mountPoint("/tmp itself", "/tmp"),
        .mountPoint("/mnt itself", "/mnt"),
        .mountPoint("/run itself", "/run"),
        .mountPoint("a symlink to an empty folder", "{dir}/link", fixture: .symlinkedFolder),
        .mountPoint("below a symlinked folder", "{dir}/link/sub", fixture: .symlinkedFolder),
        .mountPoint("a folder that holds a file", "{dir}/full", fixture: .nonEmptyFolder),
        .mountPoint("the image file itself", "{dir}/volume.img"),
        .mountPoint("equals the state dir", "{dir}/state"),
        .mountPoint("inside the state dir", "{dir}/state/mnt"),
        .mountPoint("contains the state dir", "{dir}/mnt", with: ["state-dir": "{dir}/mnt/state"]),
        .mountPoint("equals the recovery dir", "{dir}/rec", with: ["recovery-dir": "{dir}/rec"]),
        .mountPoint("inside the recovery dir", "{dir}/rec/mnt", with: ["recovery-dir": "{dir}/rec"]),
        .mountPoint("contains the recovery dir", "{dir}/mnt", with: ["recovery-dir": "{dir}/mnt/rec"]),
        .env("mount-point: /etc", "mount-point", "/etc"),
    ]
}
