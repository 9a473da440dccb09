/// YAML scalars written by hand: no YAML library is in the package cache, and emitting is
/// small. Every value that came from a flag goes through `quoted`, even after validation,
/// so that no input can change the documents' structure (a `: `, `{`, `#`, a quote or a
/// newline stays inside one string).
public enum YAMLText {
    /// A double-quoted scalar. Only `"` and `\` are special inside one; everything a YAML
    /// parser would fold or treat as a break (control characters, NEL, the line and
    /// paragraph separators, a BOM) is written as an escape.
    public static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                let code = scalar.value
                if code < 0x20 || (0x7F...0x9F).contains(code) || code == 0x2028 || code == 0x2029 || code == 0xFEFF {
                    out += "\\u" + hex4(code)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func hex4(_ code: UInt32) -> String {
        let digits = String(code, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
