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
        try mustRun(["umount", elsewhere])
        // Not `losetup -d`: while another share-manager's scan has the device open, the
        // kernel defers the detach, and the next prepare would find the image attached.
        // This detach waits for it.
        _ = try LoopAttachment.detach(loop, ifBacking: image, logger: testLogger)
        return result
    }
}
