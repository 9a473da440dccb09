/// Why the NFSv4 ID-mapping domain could not be checked, rendered or resolved.
public enum IDMapError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The domain is not a DNS name we are willing to write into idmapd.conf.
    case invalidDomain(String, reason: String)
    /// The idmapd.conf path cannot be passed to libnfsidmap (it contains a NUL character).
    case invalidConfigPath(String)
    /// libnfsidmap refused to initialise from the file; `code` is its negative errno.
    case initialisationFailed(configFile: String, code: Int32)
    /// libnfsidmap could not say which domain applies; `code` is its negative errno.
    case domainUnavailable(configFile: String, code: Int32)

    public var description: String {
        switch self {
        case .invalidDomain(let domain, let reason):
            "invalid NFSv4 ID-mapping domain \(Self.quoted(domain)): \(reason); use a DNS name such as example.com"
        case .invalidConfigPath(let path):
            "idmapd.conf path \(Self.quoted(path)) contains a NUL character; pass a plain file path"
        case .initialisationFailed(let file, let code):
            "libnfsidmap cannot initialise from \(file) (error \(code)); check its [Translation] Method and plugins"
        case .domainUnavailable(let file, let code):
            "libnfsidmap cannot tell the domain for \(file) (error \(code)); set [General] Domain there"
        }
    }

    /// Keeps the description on one line whatever the input held.
    private static func quoted(_ text: String) -> String {
        let escaped = text.unicodeScalars.map { $0.escaped(asASCII: true) }.joined()
        return "\"" + (escaped.count > 80 ? String(escaped.prefix(80)) + "…" : escaped) + "\""
    }
}
