/// Text from outside (a flag as typed, a client's owner name in a record) shown on the
/// operator's terminal: control characters would drive it, and a huge value would fill it.
public enum TerminalText {
    public static func printable(_ line: String, limit: Int = 1000) -> String {
        var shown = ""
        for scalar in line.unicodeScalars.prefix(limit) {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                shown += scalar.escaped(asASCII: true)
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        return line.unicodeScalars.count > limit ? shown + "…" : shown
    }
}
