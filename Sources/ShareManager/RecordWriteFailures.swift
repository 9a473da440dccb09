import Logging
import Synchronization

/// Counts the client recovery records Ganesha failed to write. Ganesha grants the open and
/// the lock anyway and says so only at EVENT level; the client's state is then lost in the
/// next crash (its reclaim gets NFS4ERR_NO_GRACE), so each failure is a warning and a metric.
final class RecordWriteFailures: Sendable {
    private let total = Mutex(0)
    private let logger: Logger

    init(logger: Logger) { self.logger = logger }

    var count: Int { total.withLock { $0 } }

    /// Fed every line Ganesha prints; `root` is the recovery store in use, if known yet.
    func observe(_ line: String, recoveryRoot root: String?) {
        guard let failure = Failure(line: line, recoveryRoot: root) else { return }
        total.withLock { $0 += 1 }
        logger.warning(
            "Ganesha could not write a client's recovery record: the client's opens and locks will not survive a Ganesha crash or failover; free space and inodes on the volume",
            metadata: ["record": "\(failure.record)", "error": "\(failure.error)"]
        )
    }

    /// One line of Ganesha 4.3's `fs` recovery backend, matched by its whole structure:
    /// `DD/MM/YYYY HH:MM:SS : epoch E : HOST : ganesha.nfsd-PID[THREAD] fs_add_clid :CLIENT ID
    /// :EVENT :Failed to create client in recovery dir (PATH), errno: TEXT (N)`.
    /// PATH carries the client's owner string, so nothing inside it is interpreted: it is
    /// what lies between the fixed head and the last `), errno: `.
    struct Failure: Equatable {
        /// The record's path below the recovery root (client text: data only).
        let record: String
        /// Ganesha's `strerror` text and number, e.g. "No space left on device (28)".
        let error: String

        static let head = " fs_add_clid :CLIENT ID :EVENT :Failed to create client in recovery dir ("
        static let errnoSeparator = "), errno: "

        init?(line: String, recoveryRoot root: String?) {
            // Timestamp, epoch and host come first, each followed by " : ".
            let fields = line.split(separator: " : ", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count == 4, fields[1].hasPrefix("epoch "),
                  Self.isTimestamp(fields[0]) else { return nil }
            let rest = fields[3]
            guard rest.hasPrefix("ganesha.nfsd-"), let threadEnd = rest.firstIndex(of: "]"),
                  rest[threadEnd...].dropFirst().hasPrefix(Self.head) else { return nil }
            let message = rest[rest.index(after: threadEnd)...].dropFirst(Self.head.count)
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

        /// `04/12/2026 17:05:42`: Ganesha's default date and time format.
        private static func isTimestamp(_ text: Substring) -> Bool {
            let shape = Array("dd/dd/dddd dd:dd:dd")
            let chars = Array(text)
            guard chars.count == shape.count else { return false }
            return zip(chars, shape).allSatisfy { char, want in
                want == "d" ? (char.isASCII && char.isNumber) : char == want
            }
        }
    }
}
