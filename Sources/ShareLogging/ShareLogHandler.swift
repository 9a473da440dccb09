import FoundationEssentials
import Glibc
import LinuxSupport
import Logging
import Synchronization

/// One line per record on stderr, as text for people or JSON for log collectors.
/// Values from children (Ganesha's own lines) are escaped so that a line stays a line.
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
        let line: String
        if json {
            var object: [String: String] = ["time": time, "level": "\(event.level)", "logger": label, "message": "\(event.message)"]
            merged.forEach { object[$0.key] = "\($0.value)" }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            line = (try? encoder.encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        } else {
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.escaped("\($0.value)"))" }.joined(separator: " ")
            let message = Self.escaped("\(event.message)")
            line = "\(time) \(event.level) \(label): \(message)" + (fields.isEmpty ? "" : " [\(fields)]")
        }
        writeToStandardError(line + "\n")
    }

    /// Control characters (newlines, carriage returns, terminal escapes) from values that
    /// came from outside (a marker, a client's record name, Ganesha's output) are shown, not
    /// obeyed: a line stays one line and cannot repaint the operator's terminal.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
