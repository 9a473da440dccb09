import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

/// Attaches `image` to a loop device the way another program would, outside share-manager.
func attachElsewhere(_ image: String) throws -> String {
    try mustRun(["losetup", "--find", "--show", image]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

extension Scratch {
    /// Mounts `image` read-write outside share-manager, as the tool that made it would, runs
    /// `body` with the mount point, then unmounts and detaches it (Scratch's cleanup catches
    /// whatever a failure leaves behind).
    func mountedElsewhere<T>(_ image: String, _ body: (String) throws -> T) throws -> T {
        let loop = try attachElsewhere(image)
        let elsewhere = directory.file("elsewhere")
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        try mustRun(["mount", loop, elsewhere])
        let result = try body(elsewhere)
        try unmountWhenFree(elsewhere)
        // Not `losetup -d`: while another share-manager's scan has the device open, the
        // kernel defers the detach, and the next prepare would find the image attached.
        // This detach waits for it.
        _ = try LoopAttachment.detach(loop, ifBacking: image, logger: testLogger)
        return result
    }

    /// Seen once in CI under the whole suite: "target is busy" right after `body`, with no
    /// holder of ours in sight (children of this process close inherited descriptors); the
    /// unmount is retried while the mount is busy, for 30 s, and a failure names the holders.
    private func unmountWhenFree(_ folder: String) throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let result = try runCommand(["umount", folder])
            if result.status == 0 { return }
            guard result.stderr.contains("busy"), ContinuousClock.now < deadline else {
                let holders = (try? runCommand(["fuser", "-vm", folder]))?.stderr ?? "fuser not available"
                try #require(result.status == 0, "umount \(folder) failed: \(result.stderr); held by: \(holders)")
                return
            }
            usleep(100_000)
        }
    }
}
