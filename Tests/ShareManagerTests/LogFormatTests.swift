import Foundation
import Logging
@testable import ShareLogging
import Testing

/// Both formats read back by a strict parser: JSON by JSONSerialization, logfmt by the
/// parser below (the test venv has no logfmt package).
@Suite("log record formats")
struct LogFormatTests {
    static func record(_ metadata: Logger.Metadata, message: String = "Ganesha started") -> LogRecord {
        LogRecord(time: "2026-12-04T22:45:21.123+0000", level: .warning, label: "share-manager", message: message, metadata: metadata)
    }

    static let hostile = "a b=c \"quoted\" back\\slash\nT00:00:00Z level=critical msg=forged\r\u{1B}[2J\t\u{7F}"

    @Test("JSON: numbers, booleans and durations keep their type; strings stay strings")
    func jsonTypes() throws {
        let line = Self.record([
            "pid": .stringConvertible(Int32(7044)), "port": .stringConvertible(UInt16(2049)), "ratio": .stringConvertible(0.5),
            "readOnly": .stringConvertible(true), "durationSeconds": .stringConvertible(Duration.milliseconds(90_500)),
            "name": "123", "big": .stringConvertible(UInt64.max), "nan": .stringConvertible(Double.nan),
        ]).json
        #expect(!line.contains("\n"))
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["pid"] as? Int == 7044)
        #expect(object["port"] as? Int == 2049)
        #expect(object["ratio"] as? Double == 0.5)
        #expect(line.contains("\"readOnly\":true"))
        #expect(object["durationSeconds"] as? Double == 90.5)
        #expect(object["name"] as? String == "123")
        #expect(line.contains("\"big\":18446744073709551615"))
        #expect(object["nan"] as? String == "nan")
        #expect(object["level"] as? String == "warning")
        #expect(object["message"] as? String == "Ganesha started")
    }

    @Test("metadata cannot overwrite time, level, logger or message: colliding keys get the prefix meta_")
    func reservedKeys() throws {
        let metadata: Logger.Metadata = ["time": "forged", "level": "critical", "message": "forged", "logger": "x", "msg": "y", "meta_level": "kept"]
        let object = try #require(JSONSerialization.jsonObject(with: Data(Self.record(metadata).json.utf8)) as? [String: Any])
        #expect(object["time"] as? String == "2026-12-04T22:45:21.123+0000")
        #expect(object["level"] as? String == "warning")
        #expect(object["message"] as? String == "Ganesha started")
        #expect(object["logger"] as? String == "share-manager")
        #expect(object["meta_level"] as? String == "kept")
        #expect(object["meta_meta_level"] as? String == "critical")
        #expect(object["meta_time"] as? String == "forged")
        let text = try Self.parseLogfmt(Self.record(metadata).logfmt)
        #expect(text.first { $0.key == "level" }?.value == "warning")
        #expect(text.filter { $0.key == "level" }.count == 1)
        #expect(text.first { $0.key == "meta_msg" }?.value == "y")
    }

    @Test("logfmt: hostile values come back whole from a strict parser, on one line")
    func logfmtRoundTrip() throws {
        let record = Self.record([
            "path": .string(Self.hostile), "empty": "", "pid": .stringConvertible(7044), "readOnly": .stringConvertible(false),
            "durationSeconds": .stringConvertible(Duration.seconds(90)), "plain": "ok",
        ], message: Self.hostile)
        let line = record.logfmt
        #expect(!line.unicodeScalars.contains { $0.properties.generalCategory == .control })
        let pairs = try Self.parseLogfmt(line)
        #expect(pairs.map(\.key) == ["time", "level", "logger", "msg", "durationSeconds", "empty", "path", "pid", "plain", "readOnly"])
        let fields = Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) })
        #expect(fields["msg"] == Self.hostile)
        #expect(fields["path"] == Self.hostile)
        #expect(fields["empty"] == "")
        #expect(fields["level"] == "warning")
        #expect(line.contains(" pid=7044 ") && line.contains(" readOnly=false") && line.contains(" durationSeconds=90.0 "))
        #expect(line.contains(" plain=ok "))
    }

    /// logfmt as go-logfmt decodes it, strictly: `key=value` pairs separated by one space,
    /// a value bare (no space, `=`, `"`, backslash or control character) or quoted with
    /// JSON's escapes. Anything else is an error, so a sloppy writer fails here.
    static func parseLogfmt(_ line: String) throws -> [(key: String, value: String)] {
        struct Malformed: Error { let at: String }
        var pairs: [(key: String, value: String)] = []
        var rest = Substring(line)
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "=") else { throw Malformed(at: String(rest)) }
            let key = rest[..<equals]
            guard !key.isEmpty, !key.contains(where: { $0 == " " || $0 == "\"" }) else { throw Malformed(at: String(rest)) }
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                // JSON's string grammar is logfmt's quoted value.
                var end = rest.index(after: rest.startIndex)
                var escaping = false
                while end < rest.endIndex, escaping || rest[end] != "\"" {
                    escaping = !escaping && rest[end] == "\\"
                    end = rest.index(after: end)
                }
                guard end < rest.endIndex else { throw Malformed(at: String(rest)) }
                let quoted = rest[...end]
                value = try #require(try JSONSerialization.jsonObject(with: Data(quoted.utf8), options: .fragmentsAllowed) as? String)
                rest = rest[rest.index(after: end)...]
            } else {
                let end = rest.firstIndex(of: " ") ?? rest.endIndex
                value = String(rest[..<end])
                guard !value.contains(where: { $0 == "=" || $0 == "\"" || $0 == "\\" }) else { throw Malformed(at: String(rest)) }
                rest = rest[end...]
            }
            pairs.append((String(key), value))
            if rest.first == " " {
                rest = rest.dropFirst()
                guard !rest.isEmpty else { throw Malformed(at: "trailing space") }
            } else if !rest.isEmpty {
                throw Malformed(at: String(rest))
            }
        }
        return pairs
    }
}
