import FoundationEssentials
import Glibc
import LinuxSupport
import SystemPackage

/// The templates in `ganesha-templates/`, loaded once at start.
///
/// They stay files rather than Swift strings so an operator can read every line of config
/// we render; the binary finds them next to itself, under /usr/share, or (in a build tree)
/// in the nearest parent folder that holds `ganesha-templates/`.
public struct TemplateSet: Sendable {
    public enum Name: String, CaseIterable, Sendable {
        case ganesha = "ganesha.conf.mustache"
        case export = "export.conf.mustache"
        case bus = "dbus-system-bus.conf.mustache"
    }

    public let directory: String
    let templates: [Name: Template]

    public init(directory: String) throws(TemplateError) {
        var loaded: [Name: Template] = [:]
        for name in Name.allCases {
            let path = directory + "/" + name.rawValue
            let bytes: [UInt8]
            do { bytes = try SystemCalls<SystemCallError>.readBytes(path) } catch { throw .unreadable(path: path, errno: error.errno) }
            guard let text = String(validating: bytes, as: UTF8.self) else { throw .notUTF8(path: path) }
            // The pragma tells any Mustache tool an operator uses on these files that values
            // go in unescaped, as share-manager renders them; without it they would see &amp;.
            guard text.hasPrefix("{{% CONTENT_TYPE: TEXT}}") else {
                throw TemplateError.notPlainText(path: path)
            }
            do {
                loaded[name] = try Template(parsing: text)
            } catch {
                throw TemplateError.invalid(path: path, reason: error.description)
            }
        }
        self.directory = directory
        templates = loaded
    }

    func render(_ name: Name, _ context: [String: TemplateValue]) -> String {
        templates[name]?.render(context) ?? ""
    }

    /// Where to look when no folder is given, in order.
    public static func defaultSearchPaths(executable: String = CommandLine.arguments.first ?? "") -> [String] {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var paths = [
            exe.deletingLastPathComponent().appendingPathComponent("../share/share-manager/ganesha-templates").standardized.path,
            "/usr/share/share-manager/ganesha-templates",
        ]
        var dir = exe.deletingLastPathComponent()
        while dir.path != "/" {
            paths.append(dir.appendingPathComponent("ganesha-templates").path)
            dir = dir.deletingLastPathComponent()
        }
        return paths
    }

    /// Loads from `directory`, or from the first default search path that has the templates.
    public static func locate(_ directory: String?) throws(TemplateError) -> TemplateSet {
        if let directory { return try TemplateSet(directory: directory) }
        let candidates = defaultSearchPaths()
        for candidate in candidates
        where FileManager.default.fileExists(atPath: candidate + "/" + Name.ganesha.rawValue) {
            return try TemplateSet(directory: candidate)
        }
        throw TemplateError.notFound(searched: candidates.prefix(3).joined(separator: ", "))
    }
}

/// Why the templates could not be used; each says where to look.
public enum TemplateError: Error, CustomStringConvertible, Sendable {
    case unreadable(path: String, errno: Errno)
    case notUTF8(path: String)
    case notPlainText(path: String)
    case invalid(path: String, reason: String)
    case notFound(searched: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let errno): "cannot read template \(path) (\(errno)); check the --templates-dir folder"
        case .notUTF8(let path): "cannot read template \(path) (it is not UTF-8 text); check the --templates-dir folder"
        case .notPlainText(let path): "template \(path) must start with {{% CONTENT_TYPE: TEXT}}: values go in unescaped, and the pragma says so to any Mustache tool"
        case .invalid(let path, let reason): "template \(path) does not parse: \(reason)"
        case .notFound(let searched): "ganesha-templates not found (looked in \(searched), …); pass --templates-dir"
        }
    }
}
