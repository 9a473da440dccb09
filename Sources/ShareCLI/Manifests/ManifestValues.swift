import GaneshaConfig

/// What `share-manager manifests` fills in, each value checked: names as DNS-1123 labels,
/// addresses and networks as numbers, a size as a Kubernetes quantity, the image as an
/// image reference. The first bad one is a one-line error naming its flag (exit 2).
public struct ManifestValues: Sendable {
    public var volume: String
    public var namespace: String
    public var clusterIP: String
    public var nodeCIDRs: [String]
    public var size: String
    public var storageClass: String
    public var image: String
    public var priorityClass: String
    public var clientNamespace: String
    public var clientClaim: String

    /// "share-manager-NAME-metrics" must be a DNS-1035 label of at most 63 characters.
    static let longestVolume = 63 - "share-manager--metrics".count

    init(_ command: ManifestsCommand) throws(ValidationError) {
        volume = try VolumeName(validating: command.volume).value
        guard volume.count <= Self.longestVolume else {
            throw ValidationError(flag: "volume", reason: "is \(volume.count) characters; at most \(Self.longestVolume), so that the Service share-manager-NAME-metrics has a valid name")
        }
        namespace = try VolumeName(validating: command.namespace, flag: "namespace").value
        let ip = try NetworkAddress(validating: command.clusterIp, flag: "cluster-ip")
        guard ip.value != "0.0.0.0" && ip.value != "::" else {
            throw ValidationError(flag: "cluster-ip", reason: "is the unspecified address; give a free address of the cluster's Service range")
        }
        clusterIP = ip.value
        guard !command.nodeCidr.isEmpty else {
            throw ValidationError(flag: "node-cidr", reason: "is required: the nodes' network (repeat the flag for more), from which clients mount")
        }
        nodeCIDRs = try command.nodeCidr.map { raw throws(ValidationError) in try Self.network(raw) }
        size = try Self.quantity(command.size)
        storageClass = try Self.subdomain(command.storageClass, flag: "storage-class")
        image = try Self.imageReference(command.image)
        priorityClass = try Self.subdomain(command.priorityClass, flag: "priority-class")
        clientNamespace = try VolumeName(validating: command.clientNamespace, flag: "client-namespace").value
        clientClaim = try Self.subdomain(command.clientClaim ?? volume, flag: "client-claim")
    }

    /// One network, address/prefix, in canonical form (ClientList's parser, which refuses host bits).
    static func network(_ raw: String) throws(ValidationError) -> String {
        guard raw.contains("/"), !raw.contains(","), let entry = try ClientList.parse(raw, flag: "node-cidr")?.entries.first,
              entry.contains("/")
        else {
            throw ValidationError(flag: "node-cidr", reason: "\(TerminalText.printable(raw, limit: 80)) is not a network; give address/prefix such as 10.0.0.0/16")
        }
        return entry
    }

    /// A binary-suffixed quantity such as 10Gi (digits, then Ki, Mi, Gi, Ti, Pi or Ei).
    static func quantity(_ raw: String) throws(ValidationError) -> String {
        let suffixes = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
        let suffix = suffixes.first { raw.hasSuffix($0) } ?? ""
        let digits = raw.dropLast(suffix.count)
        guard !digits.isEmpty, digits.count <= 18, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), digits.first != "0" else {
            throw ValidationError(flag: "size", reason: "\(TerminalText.printable(raw, limit: 80)) is not a size; give a whole number with Ki, Mi, Gi, Ti, Pi or Ei, such as 10Gi")
        }
        return raw
    }

    /// A DNS-1123 subdomain: labels joined by dots, 253 characters at most.
    static func subdomain(_ raw: String, flag: String) throws(ValidationError) -> String {
        guard raw.utf8.count <= 253 else {
            throw ValidationError(flag: flag, reason: "is \(raw.utf8.count) characters; a DNS-1123 subdomain has at most 253")
        }
        for label in raw.split(separator: ".", omittingEmptySubsequences: false) {
            _ = try VolumeName(validating: String(label), flag: flag)
        }
        return raw
    }

    /// An image reference: registry/path:tag or @sha256:digest, in the characters those allow.
    static func imageReference(_ raw: String) throws(ValidationError) -> String {
        let allowed = raw.utf8.allSatisfy { byte in
            (0x61...0x7A).contains(byte) || (0x41...0x5A).contains(byte) || (0x30...0x39).contains(byte) || Array("._-/:@".utf8).contains(byte)
        }
        guard !raw.isEmpty, raw.utf8.count <= 255, allowed, raw.first?.isLetter == true || raw.first?.isNumber == true else {
            throw ValidationError(flag: "image", reason: "\(TerminalText.printable(raw, limit: 80)) is not an image reference such as registry.example/share-manager:0.1.0")
        }
        return raw
    }
}
