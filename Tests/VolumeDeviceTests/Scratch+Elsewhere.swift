import Foundation
import Testing
import TestSupport

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
        try mustRun(["losetup", "-d", loop])
        // The kernel defers the detach while anyone (udev probing after the unmount, another
        // test scanning loop devices) has the device open; share-manager would then rightly
        // refuse the image as attached.
        let deadline = ContinuousClock.now + .seconds(10)
        while !attachedLoops(image).isEmpty && ContinuousClock.now < deadline { usleep(20_000) }
        return result
    }
}
