@testable import GaneshaConfig
import Testing

@Suite("Our Mustache subset")
struct TemplateTests {
    private func render(_ source: String, _ context: [String: TemplateValue]) throws -> String {
        try Template(parsing: source).render(context)
    }

    @Test("a line holding only a section tag leaves no line behind, indented or not")
    func standaloneLines() throws {
        let source = "A {\n{{#on}}\n    x = {{value}};\n  {{/on}}\n{{^on}}\n    x = none;\n{{/on}}\n}\n"
        #expect(try render(source, ["on": .flag(true), "value": .text("1")]) == "A {\n    x = 1;\n}\n")
        #expect(try render(source, ["on": .flag(false)]) == "A {\n    x = none;\n}\n")
    }

    @Test("the pragma and comments on lines of their own vanish with their line")
    func pragmaAndComments() throws {
        let source = "{{% CONTENT_TYPE: TEXT}}\nfirst\n{{! why this is here }}\nlast"
        #expect(try render(source, [:]) == "first\nlast")
    }

    @Test("a tag sharing its line with text keeps the line")
    func inlineSections() throws {
        #expect(try render("a {{#on}}b{{/on}} c\n", ["on": .flag(true)]) == "a b c\n")
        #expect(try render("a {{#on}}b{{/on}} c\n", [:]) == "a  c\n")
    }

    @Test("a text value opens its section; a missing name renders nothing")
    func textValues() throws {
        #expect(try render("{{#path}}include {{path}}{{/path}}", ["path": .text("/x")]) == "include /x")
        #expect(try render("[{{missing}}]{{#missing}}no{{/missing}}", [:]) == "[]")
    }

    @Test("a value is inserted as it is and never parsed as a template")
    func valuesAreNotTemplates() throws {
        #expect(try render("v = {{v}};", ["v": .text("{{#x}}}}")]) == "v = {{#x}}}};")
    }

    @Test("broken templates are refused with a reason", arguments: [
        ("{{#a}}open", TemplateSyntaxError.unbalanced("a")),
        ("{{/a}}", .unbalanced("a")),
        ("{{#a}}{{#b}}{{/a}}{{/b}}", .unbalanced("a")),
        ("x\n{{name", .unclosedTag(line: 2)),
        ("{{{raw}}}", .unsupportedTag("{", line: 1)),
        ("{{> partial}}", .unsupportedTag(">", line: 1)),
        ("{{a.b}}", .badName("a.b", line: 1)),
        ("{{}}", .badName("", line: 1)),
    ])
    func refused(source: String, expected: TemplateSyntaxError) {
        #expect(throws: expected) { try Template(parsing: source) }
    }
}
