import Foundation
import Testing
import TestSupport

/// `share-manager manifests`: deploy/ is its output for the example volume (so the two
/// cannot drift), what it renders for another volume is valid and wired together (clients
/// mount the Service's fixed ClusterIP, the Pod names the PriorityClass, the NetworkPolicy
/// opens NFS to the given node networks), and hostile values never reach the YAML.
@Suite("share-manager manifests", .needs(.python(modules: ["yaml"])))
struct ManifestCommandTests {
    /// The example deploy/ is rendered for; docs/kubernetes.md shows the same command.
    static let exampleArguments = [
        "manifests", "--volume", "pvc-0a1b2c", "--cluster-ip", "10.96.20.49", "--node-cidr", "10.0.0.0/16",
        "--client-namespace", "my-app", "--client-claim", "shared-data",
    ]

    func run(_ args: [String]) throws -> CommandResult {
        try #require(FileManager.default.isExecutableFile(atPath: Binaries.shareManager), "no share-manager binary at \(Binaries.shareManager)")
        return try runCommand([Binaries.shareManager] + args, environment: ["PATH": "/usr/bin:/bin"])
    }

    @Test("deploy/'s YAML files are exactly the command's output for the example volume")
    func deployIsRendered() throws {
        let dir = try TemporaryDirectory(prefix: "sm-manifests")
        defer { dir.remove() }
        let result = try run(Self.exampleArguments + ["--output-dir", dir.path])
        try #require(result.status == 0, "\(result.stderr)")
        let rendered = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(rendered.count == 7, "\(rendered)")
        let deploy = TestEnvironment.repositoryRoot.appendingPathComponent("deploy").path
        let command = "share-manager " + Self.exampleArguments.joined(separator: " ") + " --output-dir deploy"
        for name in rendered {
            let want = try String(contentsOfFile: dir.file(name), encoding: .utf8)
            let have = try? String(contentsOfFile: deploy + "/" + name, encoding: .utf8)
            #expect(have == want, "deploy/\(name) is not the command's output; regenerate with: \(command)")
        }
        // The stream is the same files, one document stream for `kubectl apply -f -`.
        let stream = try run(Self.exampleArguments)
        let joined = try rendered.sortedLikeTheStream().map { try String(contentsOfFile: dir.file($0), encoding: .utf8) }.joined(separator: "---\n")
        #expect(stream.stdout == joined)
    }

    @Test("another volume's stream validates strictly, passes yamllint, and is wired together", .needs(.python(modules: ["yaml", "kubernetes_validate", "yamllint"])))
    func anotherVolume() throws {
        let dir = try TemporaryDirectory(prefix: "sm-manifests-2")
        defer { dir.remove() }
        let result = try run([
            "manifests", "--volume", "data-7", "--namespace", "storage", "--cluster-ip", "10.43.0.77",
            "--node-cidr", "192.168.10.0/24", "--node-cidr", "fd00:10::/64", "--size", "250Gi", "--storage-class", "ceph.rbd",
            "--image", "registry.example:5000/share-manager@sha256:0123abcd", "--priority-class", "nfs-critical",
        ])
        try #require(result.status == 0, "\(result.stderr)")
        let file = dir.file("data-7.yaml")
        try result.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        let python = try ManifestTools.python()
        for version in ManifestTests.kubernetesVersions {
            let check = try runCommand([python, "-m", "kubernetes_validate", "--strict", "--quiet", "-k", version, file])
            #expect(check.status == 0, "Kubernetes \(version):\n\(check.stdout)\(check.stderr)")
        }
        let config = TestEnvironment.repositoryRoot.appendingPathComponent(".yamllint").path
        let lint = try runCommand([python, "-m", "yamllint", "-f", "parsable", "-c", config, file])
        #expect(lint.status == 0, "\(lint.stdout)\(lint.stderr)")

        let objects = try ManifestTools.load([file])
        let service = try #require(objects.first { $0.kind == "Service" && $0.name == "share-manager-data-7" })
        #expect(service.namespace == "storage")
        #expect(service.string("spec", "clusterIP") == "10.43.0.77")
        let volume = try #require(objects.first { $0.kind == "PersistentVolume" })
        #expect(volume.string("spec", "nfs", "server") == "10.43.0.77", "clients must mount the fixed ClusterIP")
        #expect(volume.string("spec", "nfs", "path") == "/data-7")
        let set = try #require(objects.first { $0.kind == "StatefulSet" })
        #expect(set.podSpec["priorityClassName"] as? String == "nfs-critical")
        #expect(objects.contains { $0.kind == "PriorityClass" && $0.name == "nfs-critical" })
        #expect(set.containers.first?.fields["image"] as? String == "registry.example:5000/share-manager@sha256:0123abcd")
        let policy = try #require(objects.first { $0.kind == "NetworkPolicy" })
        let sources = (at(policy.object, "spec", "ingress") as? [[String: Any]] ?? []).flatMap { $0["from"] as? [[String: Any]] ?? [] }
        let blocks = sources.compactMap { at($0, "ipBlock", "cidr") as? String }
        #expect(blocks == ["192.168.10.0/24", "fd00:10::/64"])
        let claim = try #require(objects.first { $0.kind == "PersistentVolumeClaim" && $0.string("spec", "volumeMode") == "Block" })
        #expect(claim.string("spec", "storageClassName") == "ceph.rbd" && claim.string("spec", "resources", "requests", "storage") == "250Gi")
    }

    static let valid = ["--volume", "v", "--cluster-ip", "10.96.0.50", "--node-cidr", "10.0.0.0/16"]

    /// Quotes, newlines, `: `, `{`, `#` and friends in every flag that reaches the YAML.
    static let hostile: [(flag: String, value: String)] = [
        ("volume", "v\"\n  evil: true"), ("volume", "a: b"), ("volume", "{a}"), ("volume", "Upper"), ("volume", String(repeating: "a", count: 42)),
        ("namespace", "ns\nkind: Secret"), ("namespace", "x #y"),
        ("cluster-ip", "10.0.0.1\n    evil: x"), ("cluster-ip", "0.0.0.0"), ("cluster-ip", "service.local"),
        ("node-cidr", "10.0.0.0/16\"}"), ("node-cidr", "10.0.0.1"), ("node-cidr", "10.0.0.0/16,0.0.0.0/1"), ("node-cidr", "10.0.0.5/16"),
        ("size", "10Gi\" }"), ("size", "1.5Gi"), ("size", "-1Gi"),
        ("storage-class", "fast: true"), ("storage-class", "a..b"),
        ("image", "img\n- x"), ("image", "img:1 {x}"), ("image", "'quoted'"),
        ("priority-class", "p: 1"), ("client-namespace", "{}"), ("client-claim", "c\r\nd"),
    ]

    @Test("a hostile value is refused: exit 2, one line naming its flag, nothing on stdout", arguments: hostile)
    func hostileValue(_ row: (flag: String, value: String)) throws {
        var args = ["manifests"] + Self.valid
        if let index = args.firstIndex(of: "--" + row.flag) { args.remove(at: index + 1); args.remove(at: index) }
        let result = try run(args + ["--\(row.flag)=\(row.value)"])
        #expect(result.status == 2, "\(row): \(result.stdout)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines.first?.contains(row.flag) == true, "\(row): \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}

private extension Array where Element == String {
    /// The stream's order: namespace, PriorityClass, StatefulSet, Services, NetworkPolicy, ServiceMonitor, client volume.
    func sortedLikeTheStream() -> [String] {
        let order = ["namespace.yaml", "share-manager-priorityclass.yaml", "share-manager-statefulset.yaml", "share-manager-service.yaml",
                     "share-manager-networkpolicy.yaml", "share-manager-servicemonitor.yaml", "client-persistentvolume.yaml"]
        return sorted { (order.firstIndex(of: $0) ?? 99) < (order.firstIndex(of: $1) ?? 99) }
    }
}
