import FoundationEssentials
import Glibc
import LinuxSupport
import Logging
import Synchronization

/// One line per record on stderr, as logfmt text or JSON (`LogRecord`). Values from
/// children (Ganesha's own lines) are escaped so that a line stays a line.
public struct ShareLogHandler: LogHandler {
    /// One level for the whole process, so the control API can change it while running.
    public var logLevel: Logger.Level {
        get { Self.level.withLock { $0 } }
        set { Self.level.withLock { $0 = newValue } }
    }
    public static let level = Mutex<Logger.Level>(.info)
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let json: Bool

    public init(label: String, json: Bool) {
        self.label = label
        self.json = json
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        event.metadata?.forEach { merged[$0.key] = $0.value }
        let time = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        let record = LogRecord(time: time, level: event.level, label: label, message: "\(event.message)", metadata: merged)
        writeToStandardError((json ? record.json : record.logfmt) + "\n")
    }
}
