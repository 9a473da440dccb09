import Logging
import Synchronization

/// Counts the client recovery records Ganesha failed to write. Ganesha grants the open and
/// the lock anyway and says so only at EVENT level; the client's state is then lost in the
/// next crash (its reclaim gets NFS4ERR_NO_GRACE), so each failure is a warning and a metric.
public final class RecordWriteFailures: Sendable {
    private let total = Mutex(0)
    private let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public var count: Int { total.withLock { $0 } }

    /// Fed every line of Ganesha's that has a whole header; `root` is the recovery store in use, if known yet.
    public func observe(_ line: GaneshaLogLine, recoveryRoot root: String?) {
        guard let failure = Failure(line: line, recoveryRoot: root) else { return }
        total.withLock { $0 += 1 }
        logger.warning(
            "Ganesha could not write a client's recovery record: the client's opens and locks will not survive a Ganesha crash or failover; free space and inodes on the volume",
            metadata: ["record": "\(failure.record)", "error": "\(failure.error)"]
        )
    }

    /// The message of Ganesha's `fs` recovery backend, `fs_add_clid :CLIENT ID :EVENT :Failed
    /// to create client in recovery dir (PATH), errno: TEXT (N)`, in a line whose header
    /// `GaneshaLogLine` has split. PATH carries the client's owner string, so nothing inside
    /// it is interpreted: it is what lies between the fixed head and the last `), errno: `.
    public struct Failure: Equatable {
        /// The record's path below the recovery root (client text: data only).
        public let record: String
        /// Ganesha's `strerror` text and number, e.g. "No space left on device (28)".
        public let error: String

        static let head = "Failed to create client in recovery dir ("
        static let errnoSeparator = "), errno: "

        init?(line: GaneshaLogLine, recoveryRoot root: String?) {
            guard line.program == "ganesha.nfsd", line.function == "fs_add_clid", line.component == "CLIENT ID",
                  line.level == "EVENT", line.message.hasPrefix(Self.head) else { return nil }
            let message = line.message.dropFirst(Self.head.count)
            guard let separator = message.ranges(of: Self.errnoSeparator).last else { return nil }
            let path = message[..<separator.lowerBound]
            let error = message[separator.upperBound...]
            guard error.last == ")", let open = error.lastIndex(of: "(") else { return nil }
            let number = error[error.index(after: open)...].dropLast()
            guard !number.isEmpty, number.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            var record = String(path)
            if let root {
                // Ganesha writes only below `RecoveryRoot/v4recov/`: any other path is not ours.
                let prefix = root + "/v4recov/"
                guard record.hasPrefix(prefix) else { return nil }
                record = String(record.dropFirst(prefix.count))
            }
            self.record = record
            self.error = String(error)
        }
    }
}
