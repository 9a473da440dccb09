import Foundation
import Logging

/// One line per record on stderr, as text for people or JSON for log collectors.
/// Values from children (Ganesha's own lines) are escaped so that a line stays a line.
public struct ShareLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
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
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            line = String(decoding: data, as: UTF8.self)
        } else {
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let message = "\(event.message)".replacingOccurrences(of: "\n", with: "\\n")
            line = "\(time) \(event.level) \(label): \(message)" + (fields.isEmpty ? "" : " [\(fields)]")
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
