internal import CNFSIdmap
import Synchronization

/// The NFSv4 ID-mapping domain: the part after `@` in `user@domain` owners.
///
/// Clients and server must agree on it, or every owner maps to `nobody` on the client.
/// Ganesha reads idmapd.conf itself (`NFSV4 { IdmapConf = <path>; }`) through libnfsidmap;
/// share-manager asks the same library the same question, so what it reports is what
/// Ganesha uses.
public enum IDMapDomain {
    /// Where libnfsidmap and Ganesha look when no IdmapConf is given.
    public static let defaultConfigFile = "/etc/idmapd.conf"

    /// The domain libnfsidmap resolves from `configFile` (default `/etc/idmapd.conf`).
    ///
    /// `[General] Domain` when the file sets it; otherwise (also when the file is missing)
    /// libnfsidmap's own fallback: the host's DNS domain, then `localdomain`. That fallback
    /// may ask the resolver, so the call can block: keep it off latency-sensitive paths.
    ///
    /// libnfsidmap keeps its configuration in process-global state and reads the file only
    /// on its first initialisation. Each call therefore initialises, reads the domain and
    /// tears the library down again under one process-wide lock: every call sees the file
    /// as it is now, and no state outlives the call.
    public static func effective(configFile: String? = nil) throws(IDMapError) -> String {
        let path = configFile ?? defaultConfigFile
        guard !path.utf8.contains(0) else { throw .invalidConfigPath(path) }
        let outcome = library.withLock { _ in
            var file = Array(path.utf8CString)
            return file.withUnsafeMutableBufferPointer { file in Self.resolve(file.baseAddress!, path: path) }
        }
        return try outcome.get()
    }

    /// A minimal idmapd.conf that sets `domain`, after ``validate(domain:)`` accepted it.
    public static func renderConfig(domain: String) throws(IDMapError) -> String {
        try validate(domain: domain)
        return "[General]\nDomain = \(domain)\n"
    }

    /// Guards libnfsidmap's globals (configuration, plugins, default domain).
    private static let library = Mutex(())

    /// Must run under `library`: init, ask, tear down. `nfs4_term_name_mapping` is what lets
    /// the next init read the file again; without it the first file read stays in force.
    private static func resolve(_ file: UnsafeMutablePointer<CChar>, path: String) -> Result<String, IDMapError> {
        let initialised = nfs4_init_name_mapping(file)
        defer { nfs4_term_name_mapping() }
        guard initialised == 0 else { return .failure(.initialisationFailed(configFile: path, code: initialised)) }
        var buffer = [CChar](repeating: 0, count: Int(CNFSIDMAP_MAX_DOMAIN_LEN) + 1)
        let found = nfs4_get_default_domain(nil, &buffer, buffer.count)
        guard found == 0 else { return .failure(.domainUnavailable(configFile: path, code: found)) }
        return .success(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}
