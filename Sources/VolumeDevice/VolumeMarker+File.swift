import FoundationEssentials
import Glibc
import LinuxSupport
import SystemPackage

extension VolumeMarker {
    /// Where the marker lives below a filesystem root.
    public static func path(inRoot root: String) -> String {
        root + "/" + folderName + "/" + fileName
    }

    /// Far more than any marker share-manager writes; a bigger file is not ours.
    static let maximumBytes = 64 * 1024

    /// The marker below `root`, or nil when there is none.
    public static func read(fromRoot root: String) throws(DeviceError) -> VolumeMarker? {
        let path = path(inRoot: root)
        // The filesystem is not trusted: a symlink to /dev/zero would be read until memory runs
        // out (and the peek mount and loop device left behind), one to a FIFO for ever.
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw .markerUnreadable(device: root, reason: "lstat failed: \(Errno.last)")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .markerUnreadable(device: root, reason: "it is not a regular file") }
        guard info.st_size <= maximumBytes else {
            throw .markerUnreadable(device: root, reason: "it has \(info.st_size) bytes, more than a marker ever has (\(maximumBytes))")
        }
        let text: String
        do throws(DeviceError) { text = try SystemCall.readFile(path) } catch { throw .markerUnreadable(device: root, reason: error.description) }
        return try decode(Array(text.utf8), device: root)
    }

    /// A marker from its bytes; `device` names where it was found, for the error.
    static func decode(_ bytes: [UInt8], device: String) throws(DeviceError) -> VolumeMarker {
        do {
            return try JSONDecoder().decode(VolumeMarker.self, from: Data(bytes))
        } catch {
            throw .markerUnreadable(device: device, reason: "not valid JSON: \(error)")
        }
    }

    /// Writes the marker below `root` so that a crash leaves either the old file or the new
    /// one, never a torn one: temporary file, fsync, rename, fsync of the folder.
    public func write(toRoot root: String) throws(DeviceError) {
        let folder = root + "/" + Self.folderName
        let final = Self.path(inRoot: root)
        let temporary = folder + "/." + Self.fileName + ".tmp"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let bytes: [UInt8]
        do { bytes = Array(try encoder.encode(self)) + [UInt8(ascii: "\n")] } catch {
            throw .markerUnreadable(device: root, reason: "cannot encode: \(error)")
        }
        let fd = try SystemCall.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
        do throws(DeviceError) {
            try SystemCall.write(fd, bytes, path: temporary)
            try SystemCall.fsync(fd, path: temporary)
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        guard rename(temporary, final) == 0 else { throw .systemCall("rename", path: final, errno: .last) }
        try SystemCall.fsyncFolder(folder)
    }
}
