import Foundation
import Logging
import ChildProcesses
import Testing
import TestSupport
@testable import VolumeDevice

/// The integration suites: one serialized parent, so that loop devices and mounts of one
/// test never overlap another's.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DeviceIntegration {}

let testLogger = Logger(label: "VolumeDeviceTests")

/// The tools every device test needs.
let deviceTools = ["losetup", "blkid", "wipefs", "mount", "umount", "mkfs.ext4", "e2fsck"]

extension Trait where Self == ConditionTrait {
    /// Root and the device tools (plus `extraTools`); see ``RealParts``.
    static func deviceParts(extraTools: [String] = []) -> Self {
        .needs(.root, .tools(deviceTools + extraTools))
    }
}

/// A temporary folder for images and mount points, whose mounts and loop devices are all
/// undone afterwards, whether the test passed or not.
struct Scratch {
    let directory: TemporaryDirectory
    var mountPoint: String { directory.file("mnt") }

    /// Runs `body` with a fresh scratch folder and always cleans up.
    /// A thread for the device tools, which block: on the cooperative pool (one thread per
    /// core, two here) they held back every other suite's awaits. share-manager keeps them
    /// off the pool the same way. One is enough: the device suites run one test at a time.
    private static let executor = BlockingExecutor(name: "test-device")

    static func with(_ body: (Scratch) async throws -> Void) async throws {
        try await withTaskExecutorPreference(executor) {
            let scratch = Scratch(directory: try TemporaryDirectory(prefix: "sm-volume"))
            do { try await body(scratch) } catch {
                scratch.cleanUp()
                throw error
            }
            scratch.cleanUp()
        }
    }

    /// A sparse image of `mebibytes` MiB.
    func image(_ name: String = "volume.img", mebibytes: Int) throws -> String {
        let path = directory.file(name)
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: UInt64(mebibytes) << 20)
        try handle.close()
        return path
    }

    func preparer(
        _ image: String, volume: String = "vol-a", fsType: FilesystemType = .ext4, mkfsOptions: [String] = [],
        mountOptions: [String] = [], recoveryDir: String? = nil, readOnly: Bool = false
    ) -> VolumePreparer {
        VolumePreparer(
            volume: volume, device: image, mountPoint: mountPoint, fsType: fsType, logger: testLogger,
            mkfsOptions: mkfsOptions, mountOptions: mountOptions, recoveryDir: recoveryDir, readOnly: readOnly
        )
    }

    /// Unmounts everything below the folder (deepest first) and detaches every loop device
    /// backed by a file in it.
    func cleanUp() {
        let table = (try? MountTable.current())?.entries ?? []
        let mounts = table.map(\.mountPoint).filter { $0.hasPrefix(directory.path + "/") }
        for mount in mounts.sorted(by: { $0.count > $1.count }) {
            if (try? runCommand(["umount", mount]))?.status != 0 { _ = try? runCommand(["umount", "-l", mount]) }
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
            // Checked per device: a listed loop may be freed and another test's by now.
            for loop in attachedLoops(directory.file(name)) { _ = try? LoopAttachment.detach(loop, ifBacking: directory.file(name), logger: testLogger) }
        }
        directory.remove()
    }
}

/// Loop devices backed by `path`, as losetup reports them.
func attachedLoops(_ path: String) -> [String] {
    let listing = (try? runCommand(["losetup", "-j", path]))?.stdout ?? ""
    return listing.split(separator: "\n").compactMap { $0.split(separator: ":").first.map(String.init) }
}

/// Writes `bytes` at `offset` into the file at `path`.
func overwrite(_ path: String, at offset: UInt64, with bytes: [UInt8]) throws {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    try handle.seek(toOffset: offset)
    try handle.write(contentsOf: Data(bytes))
    try handle.close()
}

/// The filesystem label blkid reads from the device itself ("" when there is none).
func blkidLabel(_ path: String) -> String {
    let result = try? runCommand(["blkid", "-p", "-o", "value", "-s", "LABEL", path])
    return result?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
}

/// Resizes the image file, as a storage system does when it grows or shrinks a volume.
func resize(_ image: String, mebibytes: Int) throws {
    try mustRun(["truncate", "-s", "\(mebibytes)M", image])
}

func randomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
}

/// Runs a command the test depends on and fails the test when it fails.
@discardableResult
func mustRun(_ argv: [String]) throws -> CommandResult {
    try mustSucceed(argv, runCommand(argv))
}

/// The same, off the cooperative pool (see the async `runCommand`).
@discardableResult
func mustRun(_ argv: [String]) async throws -> CommandResult {
    try mustSucceed(argv, await runCommand(argv))
}

private func mustSucceed(_ argv: [String], _ result: CommandResult) throws -> CommandResult {
    try #require(result.status == 0, "\(argv.joined(separator: " ")) failed: \(result.stderr)")
    return result
}

/// The refusal of `preparer`, checking that it left `image` byte for byte as it was and
/// attached to no loop device.
func untouchedRefusal(
    _ preparer: VolumePreparer, image: String, sourceLocation: SourceLocation = #_sourceLocation
) async throws -> DeviceError? {
    let before = try await sha256(ofFile: image)
    let error = await refusal(preparer)
    #expect(try await sha256(ofFile: image) == before, "image changed", sourceLocation: sourceLocation)
    #expect(attachedLoops(image).isEmpty, "loop device left attached", sourceLocation: sourceLocation)
    return error
}

/// The error `prepare()` throws; a volume it prepared after all is released and nil returned.
func refusal(_ preparer: VolumePreparer) async -> DeviceError? {
    do {
        let prepared = try await preparer.prepare()
        try? await VolumePreparer.release(prepared, logger: testLogger)
        return nil
    } catch {
        print("refused as expected? \(error)")
        return error
    }
}
