import FoundationEssentials
import Glibc
import Logging

/// Reads the marker of an existing filesystem without changing a byte of the device: a
/// read-only mount that replays no journal, in a private folder, undone before returning.
struct MarkerPeek: Sendable {
    let runner: ToolRunner

    func marker(on device: String, label: String, filesystem: FilesystemType) async throws(DeviceError) -> VolumeMarker? {
        let folder = try Self.privateFolder()
        defer { rmdir(folder) }
        let mounter = Mounter(runner: runner)
        try mounter.mount(device, at: folder, as: filesystem, options: [filesystem.peekOptions])
        let outcome: Result<VolumeMarker?, DeviceError>
        do throws(DeviceError) {
            outcome = .success(try VolumeMarker.read(fromRoot: folder))
        } catch .markerUnreadable(_, let reason) {
            outcome = .failure(.markerUnreadable(device: label, reason: reason))
        } catch {
            outcome = .failure(error)
        }
        try await mounter.unmount(folder)
        return try outcome.get()
    }

    /// mkdtemp makes the folder 0700, so nobody else looks into the mounted filesystem.
    private static func privateFolder() throws(DeviceError) -> String {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/share-manager-peek-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw .systemCall("mkdtemp", path: base, errno: errno) }
        return String(cString: made)
    }
}
