import FoundationEssentials
import Glibc
import LinuxSupport

extension RecoveryStore {
    /// Beside the records, so that it moves with the volume to the next node: the epoch the
    /// last Ganesha of this volume started with (see `Lifecycle.Started.nextEpoch`). Ganesha's
    /// `fs` backend reads only its own two folders here.
    public var epochFile: String { root + "/ganesha-epoch" }

    /// The recorded epoch, or nil when there is none or it is not a number (a value from the
    /// volume: a damaged one only costs the protection it gave).
    public func lastGaneshaEpoch() -> UInt32? {
        // lstat first: a FIFO put there would block the read, and so the start, for good.
        var info = stat()
        guard lstat(epochFile, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size <= 16,
              let text = try? SystemCalls<SystemCallError>.readFile(epochFile)
        else { return nil }
        return UInt32(text.trimmed)
    }

    /// Written without fsync: it matters only to a Ganesha started within the same second,
    /// which a crash of the node (the one thing that loses it) cannot be followed by.
    public func recordGaneshaEpoch(_ epoch: UInt32) {
        do {
            try Data("\(epoch)\n".utf8).write(to: URL(fileURLWithPath: epochFile), options: .atomic)
        } catch {
            logger.warning("cannot record Ganesha's epoch; a fresh instance within the same second could reuse its client ids", metadata: [
                "file": "\(Self.printable(epochFile))", "error": "\(error)",
            ])
        }
    }
}
