import FoundationEssentials
import Logging

/// One record as a line: JSON for log collectors, logfmt for people and for the parsers
/// (Loki's `| logfmt`, Vector, go-logfmt) that split text lines into fields.
///
/// Typed metadata keeps its type: `.stringConvertible` of an integer or a floating-point
/// number is a JSON number, of a `Bool` a JSON boolean, of a `Duration` a number of seconds
/// (the key names the unit: `durationSeconds`); a `.string` stays a string whatever it looks
/// like, so a client's name "123" never changes a field's type. The record's own keys
/// (`time`, `level`, `logger`, `message`/`msg`) come first and cannot be overwritten: a
/// metadata key that collides gets the prefix `meta_`.
public struct LogRecord: Sendable {
    public var time: String
    public var level: Logger.Level
    public var label: String
    public var message: String
    public var metadata: Logger.Metadata

    public init(time: String, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) {
        self.time = time
        self.level = level
        self.label = label
        self.message = message
        self.metadata = metadata
    }

    public static let reservedKeys: Set<String> = ["time", "level", "logger", "message", "msg"]

    /// Metadata keys with collisions renamed, in a stable order.
    func fields() -> [(key: String, value: Logger.MetadataValue)] {
        var taken = Self.reservedKeys
        var renamed: [(key: String, value: Logger.MetadataValue)] = []
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where !Self.reservedKeys.contains(key) {
            taken.insert(key)
            renamed.append((key, value))
        }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) where Self.reservedKeys.contains(key) {
            var name = "meta_" + key
            while taken.contains(name) { name = "meta_" + name }
            taken.insert(name)
            renamed.append((name, value))
        }
        return renamed
    }

    public var json: String {
        var object: [String: JSONValue] = [
            "time": .string(time), "level": .string("\(level)"), "logger": .string(label), "message": .string(message),
        ]
        for (key, value) in fields() { object[key] = JSONValue(value) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, finite numbers and booleans cannot fail.
        return (try? encoder.encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    public var logfmt: String {
        var pairs = ["time=\(Logfmt.value(time))", "level=\(level)", "logger=\(Logfmt.value(label))", "msg=\(Logfmt.value(message, alwaysQuote: true))"]
        for (key, value) in fields() { pairs.append("\(Logfmt.key(key))=\(Logfmt.value(JSONValue(value).text))") }
        return pairs.joined(separator: " ")
    }
}

/// A metadata value as JSON knows it.
enum JSONValue: Encodable {
    case string(String)
    case integer(Int64)
    case unsigned(UInt64)
    case number(Double)
    case bool(Bool)
    case array([JSONValue])
    case object([String: JSONValue])

    init(_ value: Logger.MetadataValue) {
        switch value {
        case .string(let text): self = .string(text)
        case .array(let values): self = .array(values.map(JSONValue.init))
        case .dictionary(let values): self = .object(values.mapValues(JSONValue.init))
        case .stringConvertible(let typed): self = Self.typed(typed)
        }
    }

    private static func typed(_ value: any CustomStringConvertible & Sendable) -> JSONValue {
        switch value {
        case let flag as Bool: return .bool(flag)
        case let duration as Duration:
            let (seconds, attoseconds) = duration.components
            return .number(Double(seconds) + Double(attoseconds) / 1e18)
        case let integer as any BinaryInteger:
            if let signed = Int64(exactly: integer) { return .integer(signed) }
            if let unsigned = UInt64(exactly: integer) { return .unsigned(unsigned) }
        case let number as any BinaryFloatingPoint:
            let double = Double(number)
            if double.isFinite { return .number(double) }
        default: break
        }
        return .string(value.description)
    }

    /// The value in a logfmt line, before quoting.
    var text: String {
        switch self {
        case .string(let text): text
        case .integer(let value): String(value)
        case .unsigned(let value): String(value)
        case .number(let value): value.description
        case .bool(let value): value ? "true" : "false"
        case .array, .object:
            // Nested metadata is rare (none of ours); JSON is an unambiguous way to flatten it.
            (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .unsigned(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

/// logfmt as go-logfmt reads it; no package in the local cache writes it.
enum Logfmt {
    /// Bare when it holds no space, `=`, `"`, backslash or control character and is not
    /// empty; quoted with those escaped otherwise, so a value never splits or ends the line.
    static func value(_ text: String, alwaysQuote: Bool = false) -> String {
        let needsQuotes = alwaysQuote || text.isEmpty || text.unicodeScalars.contains {
            $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.properties.generalCategory == .control
                || $0.properties.isWhitespace
        }
        guard needsQuotes else { return text }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.properties.generalCategory == .control:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Keys are ours, but a key with a space or `=` would still split a line wrongly.
    static func key(_ text: String) -> String {
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.map {
            $0 == " " || $0 == "=" || $0 == "\"" || $0.properties.generalCategory == .control ? "_" : $0
        }))
        return cleaned.isEmpty ? "_" : cleaned
    }
}
