/// A value a template can name: text for `{{name}}`, or a flag for `{{#name}}…{{/name}}`.
public enum TemplateValue: Sendable, Equatable {
    case text(String)
    case flag(Bool)
}

/// The part of Mustache our templates use: `{{name}}`, `{{#name}}` / `{{^name}}` …
/// `{{/name}}`, `{{! comment}}` and `{{% pragma}}`, with Mustache's rule that a line holding
/// only a section, comment or pragma tag leaves no line behind. Values are inserted as they
/// are: what may reach a template is validated before (`SafePath`, `VolumeName`, ...).
///
/// Our own rather than a Mustache package: the one we used pulled in Foundation proper, and
/// with it ICU, which was a third of share-manager's resident memory.
struct Template: Sendable {
    indirect enum Node: Sendable, Equatable {
        case text(String)
        case variable(String)
        case section(String, inverted: Bool, [Node])
    }

    let nodes: [Node]

    init(parsing source: String) throws(TemplateSyntaxError) {
        nodes = try Self.tree(Self.standaloneTrimmed(Self.tokens(source)))
    }

    func render(_ context: [String: TemplateValue]) -> String {
        var out = ""
        Self.render(nodes, context, into: &out)
        return out
    }

    private static func render(_ nodes: [Node], _ context: [String: TemplateValue], into out: inout String) {
        for node in nodes {
            switch node {
            case .text(let text):
                out += text
            case .variable(let name):
                if case .text(let value) = context[name] { out += value }
            case .section(let name, let inverted, let children):
                let present: Bool = switch context[name] {
                case .none, .flag(false): false
                case .text, .flag(true): true
                }
                if present != inverted { render(children, context, into: &out) }
            }
        }
    }

    // MARK: parsing

    enum Token: Equatable {
        case text(String)
        /// `kind` is the sigil after `{{` (`#`, `^`, `/`, `!`, `%`), or nil for a variable.
        case tag(kind: Character?, name: String)

        var isStandaloneKind: Bool {
            if case .tag(let kind?, _) = self { return "#^/!%".contains(kind) }
            return false
        }
    }

    static func tokens(_ source: String) throws(TemplateSyntaxError) -> [Token] {
        var tokens: [Token] = []
        var rest = source[...]
        while let open = rest.firstRange(of: "{{") {
            if open.lowerBound > rest.startIndex { tokens.append(.text(String(rest[..<open.lowerBound]))) }
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.firstRange(of: "}}") else { throw .unclosedTag(line: line(of: open.lowerBound, in: source)) }
            var inside = afterOpen[..<close.lowerBound]
            var kind: Character?
            if let first = inside.first, "#^/!%{&=>".contains(first) {
                guard "#^/!%".contains(first) else {
                    throw .unsupportedTag(String(first), line: line(of: open.lowerBound, in: source))
                }
                kind = first
                inside = inside.dropFirst()
            }
            let name = inside.trimmingSpaces
            if kind != "!" && kind != "%" {
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw .badName(String(inside), line: line(of: open.lowerBound, in: source))
                }
            }
            tokens.append(.tag(kind: kind, name: name))
            rest = afterOpen[close.upperBound...]
        }
        if !rest.isEmpty { tokens.append(.text(String(rest))) }
        return tokens
    }

    /// Mustache's standalone rule: a section, comment or pragma tag alone on its line (but
    /// for spaces and tabs) takes the line's indentation and its line break with it.
    static func standaloneTrimmed(_ tokens: [Token]) -> [Token] {
        func isBlank(_ text: Substring) -> Bool { text.allSatisfy { $0 == " " || $0 == "\t" } }
        var dropSuffix = Set<Int>(), dropPrefix = Set<Int>()
        for (index, token) in tokens.enumerated() where token.isStandaloneKind {
            let before: Bool
            if index == 0 {
                before = true
            } else if case .text(let text) = tokens[index - 1] {
                let line = text.lastIndex(of: "\n").map { text[text.index(after: $0)...] } ?? (index == 1 ? text[...] : nil)
                before = line.map(isBlank) ?? false
            } else {
                before = false
            }
            let after: Bool
            if index == tokens.count - 1 {
                after = true
            } else if case .text(let text) = tokens[index + 1] {
                let line = text.firstIndex(of: "\n").map { text[..<$0] } ?? (index + 1 == tokens.count - 1 ? text[...] : nil)
                after = line.map { isBlank($0.hasSuffix("\r") ? $0.dropLast() : $0) } ?? false
            } else {
                after = false
            }
            if before && after {
                if index > 0 { dropSuffix.insert(index - 1) }
                if index < tokens.count - 1 { dropPrefix.insert(index + 1) }
            }
        }
        return tokens.enumerated().map { index, token in
            guard case .text(var text) = token else { return token }
            if dropPrefix.contains(index) {
                text = text.firstIndex(of: "\n").map { String(text[text.index(after: $0)...]) } ?? ""
            }
            if dropSuffix.contains(index) {
                text = text.lastIndex(of: "\n").map { String(text[...$0]) } ?? ""
            }
            return .text(text)
        }
    }

    static func tree(_ tokens: [Token]) throws(TemplateSyntaxError) -> [Node] {
        var stack: [(name: String, inverted: Bool, nodes: [Node])] = [("", false, [])]
        for token in tokens {
            switch token {
            case .text(let text) where !text.isEmpty:
                stack[stack.count - 1].nodes.append(.text(text))
            case .text, .tag(kind: "!", _), .tag(kind: "%", _):
                continue
            case .tag(kind: nil, let name):
                stack[stack.count - 1].nodes.append(.variable(name))
            case .tag(kind: "/", let name):
                guard stack.count > 1, let open = stack.last, open.name == name else { throw .unbalanced(name) }
                stack.removeLast()
                stack[stack.count - 1].nodes.append(.section(open.name, inverted: open.inverted, open.nodes))
            case .tag(let kind, let name):
                stack.append((name, kind == "^", []))
            }
        }
        guard stack.count == 1 else { throw .unbalanced(stack[stack.count - 1].name) }
        return stack[0].nodes
    }

    private static func line(of index: String.Index, in source: String) -> Int {
        source[..<index].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
    }
}

/// Why a template does not parse.
enum TemplateSyntaxError: Error, CustomStringConvertible, Equatable {
    case unclosedTag(line: Int)
    case unsupportedTag(String, line: Int)
    case badName(String, line: Int)
    case unbalanced(String)

    var description: String {
        switch self {
        case .unclosedTag(let line): "a tag opened on line \(line) is never closed with }}"
        case .unsupportedTag(let sigil, let line): "tag {{\(sigil) on line \(line) is not supported (only {{name}}, {{#name}}, {{^name}}, {{/name}}, {{! }}, {{% }})"
        case .badName(let name, let line): "tag name \"\(name)\" on line \(line) must be letters, digits or _"
        case .unbalanced(let name): "section \"\(name)\" is not closed, or closed out of order"
        }
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
