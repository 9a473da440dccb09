import ShareCLI
import Testing

@Suite("YAML scalars written by hand")
struct YAMLTextTests {
    static let rows: [(String, String)] = [
        ("pvc-0a1b2c", #""pvc-0a1b2c""#),
        ("a: b", #""a: b""#),
        ("{x}, [y] #z & *w ! %t @u `v", #""{x}, [y] #z & *w ! %t @u `v""#),
        ("say \"hi\"", #""say \"hi\"""#),
        (#"back\slash"#, #""back\\slash""#),
        ("line\n  evil: true", #""line\n  evil: true""#),
        ("cr\r\ttab", #""cr\r\ttab""#),
        ("nul\u{0}esc\u{1B}del\u{7F}nel\u{85}", #""nul\u0000esc\u001Bdel\u007Fnel\u0085""#),
        ("ls\u{2028}ps\u{2029}bom\u{FEFF}", #""ls\u2028ps\u2029bom\uFEFF""#),
        ("", #""""#),
        ("grüße", #""grüße""#),
    ]

    @Test("every value becomes one double-quoted scalar on one line, quotes and breaks escaped", arguments: rows)
    func quoted(_ row: (String, String)) {
        let text = YAMLText.quoted(row.0)
        #expect(text == row.1)
        #expect(!text.contains("\n") && !text.contains("\r"))
        // Inside, every quote is escaped: the scalar cannot end early.
        let inner = text.dropFirst().dropLast()
        var escaped = false
        for character in inner {
            #expect(escaped || character != "\"", "\(text)")
            escaped = !escaped && character == "\\"
        }
    }
}
