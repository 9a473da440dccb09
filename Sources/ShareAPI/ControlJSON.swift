import FoundationEssentials

/// Strict JSON: an object with only the named keys, each once, as UTF-8. Unknown keys are
/// refused rather than ignored, so that a typo does not silently do nothing; a repeated key
/// is refused because parsers disagree on which copy wins (JSONDecoder takes the first, many
/// others the last), so a proxy or a log could read another request than the one we run.
enum ControlJSON {
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], allowedKeys: Set<String>) throws -> T {
        guard !body.isEmpty else { throw Invalid(description: "the request needs a JSON object body") }
        guard String(validating: body, as: UTF8.self) != nil else { throw Invalid(description: "the body is not UTF-8") }
        let keys: [String]
        do {
            keys = try JSONDecoder().decode(ObjectKeys.self, from: Data(body)).keys
        } catch DecodingError.typeMismatch {
            throw Invalid(description: "the body must be a JSON object")
        } catch {
            throw Invalid(description: "the body is not valid JSON")
        }
        if let repeated = try DuplicateKeys.first(in: body) {
            throw Invalid(description: "field \(shown(repeated)) appears more than once; send each field once")
        }
        if let unknown = keys.sorted().first(where: { !allowedKeys.contains($0) }) {
            throw Invalid(description: "unknown field \(shown(unknown)); allowed: \(allowedKeys.sorted().joined(separator: ", "))")
        }
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch {
            throw Invalid(description: "a field has the wrong type (strings expected)")
        }
    }

    private static func shown(_ key: String) -> String {
        (key.count > 40 ? String(key.prefix(40)) + "…" : key).debugDescription
    }
}

/// Finds a key that appears twice in one object, at any depth, comparing keys after their
/// escapes are undone (`"a"` and `"\u0061"` are the same key). Runs on a body JSONDecoder has
/// already accepted, so it only tracks structure; a stack instead of recursion, so depth
/// costs memory, not the thread's stack.
enum DuplicateKeys {
    static func first(in body: [UInt8]) throws -> String? {
        // One entry per open container: the keys seen so far, or nil for an array.
        var open: [Set<String>?] = []
        var expectingKey = false
        var index = 0
        while index < body.count {
            switch body[index] {
            case UInt8(ascii: "{"):
                open.append([])
                expectingKey = true
            case UInt8(ascii: "["):
                open.append(nil)
                expectingKey = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = open.popLast()
            case UInt8(ascii: ","):
                expectingKey = open.last.map { $0 != nil } ?? false
            case UInt8(ascii: "\""):
                let end = stringEnd(body, from: index)
                if expectingKey, let top = open.indices.last, open[top] != nil {
                    let key = try decodeKey(Array(body[index...end]))
                    guard open[top]!.insert(key).inserted else { return key }
                    expectingKey = false
                }
                index = end
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// The index of the quote that closes the string opened at `start`.
    private static func stringEnd(_ body: [UInt8], from start: Int) -> Int {
        var index = start + 1
        while index < body.count, body[index] != UInt8(ascii: "\"") {
            index += body[index] == UInt8(ascii: "\\") ? 2 : 1
        }
        return index
    }

    private static func decodeKey(_ quoted: [UInt8]) throws -> String {
        guard quoted.contains(UInt8(ascii: "\\")) else { return String(decoding: quoted.dropFirst().dropLast(), as: UTF8.self) }
        return try JSONDecoder().decode(String.self, from: Data(quoted))
    }
}

/// The keys of a JSON object, whatever their values; decoding anything but an object fails
/// with a type mismatch.
private struct ObjectKeys: Decodable {
    struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    let keys: [String]

    init(from decoder: any Decoder) throws {
        keys = try decoder.container(keyedBy: Key.self).allKeys.map(\.stringValue)
    }
}
