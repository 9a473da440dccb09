import FoundationEssentials
import Glibc
import Logging

/// Tells the device which blocks the filesystem no longer uses, so thin storage can take
/// them back. Mounting with `discard` does the same on every delete, at a cost per delete.
public struct Trimmer: Sendable {
    /// Runs `fstrim -v` on the mount point; returns the bytes trimmed, or nil when fstrim's
    /// report cannot be read. Throws when fstrim fails (e.g. the device does not support discard).
    public static func trim(_ volume: PreparedVolume, logger: Logger) async throws(DeviceError) -> Int64? {
        let output = try ToolRunner(logger: logger).check("fstrim", ["-v", volume.mountPoint]).stdout
        let bytes = trimmedBytes(output)
        var metadata: Logger.Metadata = ["mountPoint": "\(volume.mountPoint)"]
        // Left out when fstrim's report cannot be read: the field is a number or absent.
        metadata["bytes"] = bytes.map { .stringConvertible($0) }
        logger.info("trimmed unused blocks", metadata: metadata)
        return bytes
    }

    /// The number in `/mnt: 320 MiB (335544320 bytes) trimmed`.
    static func trimmedBytes(_ output: String) -> Int64? {
        guard let open = output.firstIndex(of: "(") else { return nil }
        let rest = output[output.index(after: open)...]
        guard let number = rest.split(separator: " ", maxSplits: 1).first, rest.dropFirst(number.count).hasPrefix(" bytes)") else {
            return nil
        }
        return Int64(number)
    }
}
