import ArgumentParser
import GaneshaConfig
import VolumeDevice

/// `share-manager manifests`: one volume's Kubernetes objects, rendered instead of copied
/// and edited by hand. deploy/*.yaml is this command's output for the example volume
/// (ManifestTests checks that they match).
public struct ManifestsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "manifests",
        abstract: "Print (or write) the Kubernetes manifests of one volume.",
        discussion: """
            Clients mount the NFS Service's fixed ClusterIP (--cluster-ip): nodes usually cannot \
            resolve cluster DNS names, and a fixed address stays the same when the Service is \
            deleted and re-created. Pick a free address of the cluster's Service range for each \
            volume (the API server refuses one that is taken or outside the range).

            Example: share-manager manifests --volume pvc-0a1b2c --cluster-ip 10.96.20.49 \
            --node-cidr 10.0.0.0/16 | kubectl apply -f -
            """
    )

    @Option(help: "The volume's name (a DNS-1123 label of at most 41 characters).")
    var volume: String

    @Option(help: "The NFS Service's fixed ClusterIP, a free address of the Service range: what clients mount.")
    var clusterIp: String

    @Option(help: "The nodes' network, address/prefix, allowed to reach NFS (repeat for more).")
    var nodeCidr: [String] = []

    @Option(help: "The namespace of share-manager's objects.")
    var namespace: String = "share-manager"

    @Option(help: "Size of the backing block volume and of the client PersistentVolume.")
    var size: String = "10Gi"

    @Option(help: "StorageClass of the backing block volume (a replicated one lets the volume move to another node).")
    var storageClass: String = "replicated-block"

    @Option(help: "The share-manager image.")
    var image: String = "share-manager:0.1.0"

    @Option(help: "The PriorityClass rendered for, and named by, share-manager Pods.")
    var priorityClass: String = "share-manager"

    @Option(help: "Namespace of the applications' PersistentVolumeClaim.")
    var clientNamespace: String = "default"

    @Option(help: "Name of the applications' PersistentVolumeClaim (default: the volume's name).")
    var clientClaim: String?

    @Option(help: "Write one file per part into this existing folder (the names in deploy/) instead of printing one stream.")
    var outputDir: String?

    public init() {}

    public func run() throws {
        let files = ManifestFiles.render(try ManifestValues(self))
        guard let outputDir else {
            print(files.map(\.text).joined(separator: "---\n"), terminator: "")
            return
        }
        // Any folder the caller may write, relative too: nothing here runs what is written.
        guard !outputDir.isEmpty, !outputDir.utf8.contains(0) else {
            throw GaneshaConfig.ValidationError(flag: "output-dir", reason: "is empty; give an existing folder")
        }
        let folder = outputDir.hasSuffix("/") ? outputDir : outputDir + "/"
        for file in files {
            do {
                try AtomicFile.write(file.text, to: folder + file.name)
            } catch {
                throw ManifestsFailure(description: "\(error)")
            }
        }
    }
}

/// Writing with --output-dir failed: exit 1, as any failure after the input was accepted.
public struct ManifestsFailure: Error, CustomStringConvertible {
    public let description: String
}
