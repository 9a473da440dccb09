/// A volume name as Kubernetes names objects (a DNS-1123 label). It becomes the export's
/// Pseudo path and part of every default path, so nothing else may pass.
public struct VolumeName: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    public init(validating raw: String, flag: String = "volume") throws(ValidationError) {
        guard !raw.isEmpty else {
            throw ValidationError(flag: flag, reason: "is empty; give the volume's name, a DNS-1123 label such as pvc-0a1b2c")
        }
        guard raw.utf8.count <= 63 else {
            throw ValidationError(flag: flag, reason: "is \(raw.utf8.count) bytes long; a DNS-1123 label has at most 63")
        }
        let bytes = Array(raw.utf8)
        let allowed = bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
        guard allowed, bytes.first != 0x2D, bytes.last != 0x2D else {
            throw ValidationError(
                flag: flag,
                reason: "\(Printable.quoted(raw)) is not a DNS-1123 label: use lower-case letters, digits and '-', starting and ending with a letter or digit"
            )
        }
        value = raw
    }

    public var description: String { value }
}

/// Shows a hostile value safely inside a one-line error message.
enum Printable {
    static func quoted(_ raw: String) -> String {
        var out = ""
        for scalar in raw.unicodeScalars.prefix(80) {
            if scalar.value >= 0x20 && scalar.value < 0x7F && scalar != "\\" {
                out.unicodeScalars.append(scalar)
            } else {
                out += scalar.escaped(asASCII: true)
            }
        }
        if raw.unicodeScalars.count > 80 { out += "…" }
        return "'\(out)'"
    }
}
