/// `trimmingCharacters(in:)` without Foundation proper (see `DetachedThread`).
extension StringProtocol {
    /// Without leading and trailing spaces, tabs and line breaks.
    public var trimmed: String {
        let isBlank: (Character) -> Bool = { $0.isWhitespace || $0.isNewline }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}

/// The folder part of a path, as `NSString.deletingLastPathComponent` gives it.
public func parentFolder(of path: String) -> String {
    var trimmed = Substring(path)
    while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    guard let slash = trimmed.lastIndex(of: "/") else { return "" }
    return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
}

extension StringProtocol {
    /// Without leading and trailing line breaks only: a path may end in a space.
    public var trimmingLineBreaks: String {
        guard let first = firstIndex(where: { !$0.isNewline }), let last = lastIndex(where: { !$0.isNewline }) else {
            return ""
        }
        return String(self[first...last])
    }
}
