import Foundation
import Testing
import TestSupport

/// The Kubernetes manifests in `deploy/`: valid against Kubernetes' own schemas, clean for
/// yamllint, and shaped the way share-manager needs (probes, grace period, block device,
/// privileges, Services, scrape settings, client mount options, flags that exist).
///
/// The schemas come from kubernetes-validate, which bundles them in its wheel, so the check
/// runs offline; it and yamllint live in the test venv (`scripts/install-deps.sh`). The
/// ServiceMonitor is a custom resource with no bundled schema: its structure is asserted
/// here instead. `SHARE_MANAGER_DEPLOY_DIR` points the suite at another folder (a broken
/// copy, to see it fail).
@Suite("Kubernetes manifests in deploy/", .needs(.python(modules: ["yaml"])))
struct ManifestTests {
    /// The oldest Kubernetes the manifests support (the appArmorProfile field) and the
    /// newest the validator knows.
    static let kubernetesVersions = ["1.30.0", "1.37.0"]
    /// Custom resources kubernetes-validate has no schema for; anything else unknown fails.
    static let customKinds: Set = ["ServiceMonitor"]
    /// Granted by Docker, containerd, CRI-O and Podman alike when nothing is dropped.
    static let runtimeDefaultCapabilities: Set = ["CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE", "KILL"]
    /// What Ganesha uses on the exported files (docs/container.md, "Capabilities").
    static let ganeshaCapabilities: Set = ["DAC_READ_SEARCH", "DAC_OVERRIDE", "FOWNER", "FSETID", "CHOWN", "SETUID", "SETGID"]

    /// The root's .yamllint, for callers that pass settings with -d (AlertRulesTests). Empty
    /// when the file is missing, which `lint` reports.
    static var yamllintConfig: String {
        (try? String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent(".yamllint"), encoding: .utf8)) ?? ""
    }

    // MARK: - Schema and syntax

    @Test("every object validates against the Kubernetes schemas, strictly (no unknown fields)", .needs(.python(modules: ["yaml", "kubernetes_validate"])))
    func schemas() throws {
        let python = try ManifestTools.python()
        let files = try ManifestTools.files()
        for version in Self.kubernetesVersions {
            let result = try runCommand([python, "-m", "kubernetes_validate", "--strict", "--quiet", "-k", version] + files)
            #expect(result.status == 0, "Kubernetes \(version):\n\(result.stdout)\(result.stderr)")
            let warnings = result.stdout.split(separator: "\n").filter { $0.hasPrefix("WARN") }
            for warning in warnings {
                let known = Self.customKinds.contains { warning.contains("kind \($0) ") }
                #expect(known, "no schema for an object that is not a known custom resource: \(warning)")
            }
        }
    }

    @Test("plain `yamllint deploy` from the repository root finds nothing: its settings are the root's .yamllint (duplicate keys above all: a parser silently keeps the last one)", .needs(.python(modules: ["yaml", "yamllint"])))
    func lint() throws {
        let python = try ManifestTools.python()
        let root = TestEnvironment.repositoryRoot.path
        #expect(FileManager.default.fileExists(atPath: root + "/.yamllint"), "no .yamllint at the repository root")
        // No -c: yamllint must find the root's .yamllint itself, as it does for an operator.
        let folder = ProcessInfo.processInfo.environment["SHARE_MANAGER_DEPLOY_DIR"] ?? "deploy"
        let result = try runCommand(["/bin/sh", "-c", "cd \"$1\" && exec \"$2\" -m yamllint -f parsable \"$3\"", "lint", root, python, folder])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test("the manifests hold every kind a volume needs")
    func kinds() throws {
        let manifests = try ManifestTools.load()
        let kinds = Set(manifests.map(\.kind))
        for wanted in ["StatefulSet", "Service", "PersistentVolumeClaim", "ServiceMonitor", "NetworkPolicy", "PersistentVolume", "PriorityClass"] {
            #expect(kinds.contains(wanted), "no \(wanted) in deploy/")
        }
    }

    // MARK: - The StatefulSet

    @Test("one replica; probes on the http port with the right paths; grace period above the shutdown timeout")
    func probesAndGrace() throws {
        let manifests = try ManifestTools.load()
        let sets = manifests.filter { $0.kind == "StatefulSet" }
        #expect(!sets.isEmpty)
        for set in sets {
            #expect(set.int("spec", "replicas") == 1, "\(set): two Ganeshas must never serve one filesystem")
            let pod = set.podSpec
            #expect(pod["enableServiceLinks"] as? Bool == false, "\(set): service links can set SHARE_MANAGER_* variables")
            let grace = pod["terminationGracePeriodSeconds"] as? Int ?? 30
            for container in set.containers {
                let env = container.environment
                let timeout = Int(env["SHARE_MANAGER_SHUTDOWN_TIMEOUT"] ?? "10") ?? 10
                #expect(grace > timeout + 5, "\(set): terminationGracePeriodSeconds \(grace) leaves no room after a \(timeout) s shutdown timeout and its escalation")

                let httpPort = Int(env["SHARE_MANAGER_HTTP_PORT"] ?? "9500")
                #expect(container.port(named: "http") == httpPort, "\(set): the http port is not the one share-manager listens on")
                for (probe, path) in [("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
                    let get = at(container.fields, probe, "httpGet") as? [String: Any]
                    #expect(get?["path"] as? String == path, "\(set): \(probe) must GET \(path)")
                    #expect(get?["port"] as? String == "http", "\(set): \(probe) must use the named http port")
                }
                let startup = container.fields["startupProbe"] as? [String: Any] ?? [:]
                let startupBudget = (startup["periodSeconds"] as? Int ?? 10) * (startup["failureThreshold"] as? Int ?? 3)
                #expect(startupBudget >= 300, "\(set): the startup probe gives up after \(startupBudget) s")
                let liveness = container.fields["livenessProbe"] as? [String: Any] ?? [:]
                #expect(liveness["periodSeconds"] as? Int == 5 && liveness["failureThreshold"] as? Int == 3, "\(set): liveness is 5 s x 3")
            }
        }
    }

    @Test("the block device comes from a Block PVC; no privileged mode; the capabilities and writable paths share-manager needs")
    func deviceAndPrivileges() throws {
        let manifests = try ManifestTools.load()
        let claims = manifests.filter { $0.kind == "PersistentVolumeClaim" }
        for set in manifests where set.kind == "StatefulSet" {
            let volumes = set.podSpec["volumes"] as? [[String: Any]] ?? []
            for container in set.containers {
                let env = container.environment
                let devices = container.fields["volumeDevices"] as? [[String: Any]] ?? []
                let device = devices.first { $0["devicePath"] as? String == env["SHARE_MANAGER_DEVICE"] }
                #expect(device != nil, "\(set): no volumeDevices entry at SHARE_MANAGER_DEVICE")
                let volume = volumes.first { $0["name"] as? String == device?["name"] as? String }
                let claimName = at(volume, "persistentVolumeClaim", "claimName") as? String
                let claim = claims.first { $0.name == claimName && $0.namespace == set.namespace }
                #expect(claim?.string("spec", "volumeMode") == "Block", "\(set): the device's claim \(claimName ?? "-") is not a Block PVC in deploy/")

                let security = container.fields["securityContext"] as? [String: Any] ?? [:]
                #expect(security["privileged"] as? Bool != true, "\(set): privileged")
                let addedAsWritten = at(security, "capabilities", "add") as? [String] ?? []
                let added = Set(addedAsWritten.map(capability))
                let dropped = Set((at(security, "capabilities", "drop") as? [String] ?? []).map(capability))
                #expect(added.isSuperset(of: ["SYS_ADMIN", "DAC_READ_SEARCH"]), "\(set): capabilities add \(added.sorted())")
                // What every runtime grants by default (CRI-O's set, the smallest), less the
                // drops, plus the adds: Ganesha acts for every client uid with these.
                let kept: Set<String> = dropped.contains("ALL") ? [] : Self.runtimeDefaultCapabilities.subtracting(dropped)
                let missing = Self.ganeshaCapabilities.subtracting(kept.union(added))
                #expect(missing.isEmpty, "\(set): Ganesha needs \(missing.sorted())")
                if security["allowPrivilegeEscalation"] as? Bool == false {
                    #expect(!addedAsWritten.contains("CAP_SYS_ADMIN"), "\(set): the API rejects allowPrivilegeEscalation false next to CAP_SYS_ADMIN; spell it SYS_ADMIN")
                }
                #expect(at(security, "appArmorProfile", "type") as? String == "Unconfined", "\(set): the runtime's default AppArmor profile denies mount")

                if security["readOnlyRootFilesystem"] as? Bool == true {
                    let volume = env["SHARE_MANAGER_VOLUME"] ?? ""
                    let mounted = (container.fields["volumeMounts"] as? [[String: Any]] ?? []).compactMap { $0["mountPath"] as? String }
                    let writable = [
                        env["SHARE_MANAGER_STATE_DIR"] ?? "/var/run/share-manager/\(volume)",
                        env["SHARE_MANAGER_MOUNT_POINT"] ?? "/export/\(volume)",
                        "/tmp/ganesha.nfsd.locktest",
                    ]
                    for path in writable {
                        let parent = (path as NSString).deletingLastPathComponent
                        #expect(mounted.contains { parent == $0 || parent.hasPrefix($0 + "/") }, "\(set): read-only root, but nothing writable is mounted at \(parent)")
                    }
                }
            }
        }
    }

    @Test("every environment variable names a flag of share-manager (OptionNames.all)")
    func environmentNamesFlags() throws {
        let manifests = try ManifestTools.load()
        let known = try Set(ManifestTools.optionNames().map(Self.environmentVariable))
        #expect(known.contains("SHARE_MANAGER_VOLUME"), "OptionNames.all was not read from Options.swift")
        for set in manifests where set.kind == "StatefulSet" {
            for container in set.containers {
                for name in container.environmentNames {
                    #expect(known.contains(name), "\(set): \(name) is no flag's variable (a typo is silently ignored)")
                }
            }
        }
    }

    @Test("share-manager accepts the container's arguments and environment (render exits 0)")
    func renderAcceptsEnvironment() throws {
        let manifests = try ManifestTools.load()
        // `swift build --build-tests` builds it beside the tests: its absence is a failure, not a skip.
        try #require(FileManager.default.isExecutableFile(atPath: Binaries.shareManager), "no share-manager binary at \(Binaries.shareManager)")
        for set in manifests where set.kind == "StatefulSet" {
            for container in set.containers {
                var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
                env.merge(container.environment) { $1 }
                let args = (container.fields["args"] as? [String] ?? ["run"]).map { $0 == "run" ? "render" : $0 }
                #expect(args.first == "render", "\(set): the first argument is not the run command")
                let result = try runCommand([Binaries.shareManager] + args, environment: env)
                #expect(result.status == 0, "\(set): \(result.stderr)")
                let volume = container.environment["SHARE_MANAGER_VOLUME"] ?? "?"
                #expect(result.stdout.contains("Pseudo = \"/\(volume)\";"), "\(set): render did not serve \(volume)")
            }
        }
    }

    // MARK: - Services, scraping, network policy

    @Test("a ClusterIP Service sends 2049/TCP to the Pod's NFS port, ready Pods only")
    func nfsService() throws {
        let manifests = try ManifestTools.load()
        for set in manifests where set.kind == "StatefulSet" {
            let services = manifests.filter { $0.kind == "Service" && $0.namespace == set.namespace && $0.selects(set.podLabels) }
            let nfs = services.filter { $0.string("spec", "clusterIP") != "None" }
            #expect(nfs.count == 1, "\(set): \(nfs.count) ClusterIP Services select its Pod")
            guard let service = nfs.first, let container = set.containers.first else { continue }
            #expect((service.string("spec", "type") ?? "ClusterIP") == "ClusterIP")
            #expect(at(service.object, "spec", "publishNotReadyAddresses") as? Bool != true, "\(service): a Pod that is not ready would get clients")
            let nfsPort = Int(container.environment["SHARE_MANAGER_NFS_PORT"] ?? "2049")
            let ports = at(service.object, "spec", "ports") as? [[String: Any]] ?? []
            let port = ports.first { $0["port"] as? Int == 2049 }
            #expect(port != nil, "\(service): no port 2049")
            #expect((port?["protocol"] as? String ?? "TCP") == "TCP")
            let target = port.flatMap { container.resolve(port: $0["targetPort"] ?? $0["port"] ?? 0) }
            #expect(target == 2049 && target == nfsPort, "\(service): targets \(target.map(String.init) ?? "nothing"), share-manager serves NFS on \(nfsPort.map(String.init) ?? "?")")

            let headless = services.filter { $0.string("spec", "clusterIP") == "None" }
            #expect(headless.contains { $0.name == set.string("spec", "serviceName") }, "\(set): serviceName is not a headless Service in deploy/")
        }
    }

    @Test("Prometheus can scrape: pod annotations and a ServiceMonitor that reach the http port at /metrics")
    func scraping() throws {
        let manifests = try ManifestTools.load()
        let monitors = manifests.filter { $0.kind == "ServiceMonitor" }
        #expect(!monitors.isEmpty)
        for monitor in monitors {
            #expect(monitor.string("apiVersion") == "monitoring.coreos.com/v1")
            let endpoints = at(monitor.object, "spec", "endpoints") as? [[String: Any]] ?? []
            #expect(!endpoints.isEmpty, "\(monitor): no endpoints")
            let selector = at(monitor.object, "spec", "selector", "matchLabels") as? [String: String] ?? [:]
            let services = manifests.filter { $0.kind == "Service" && $0.namespace == monitor.namespace && !selector.isEmpty && $0.labels.contains(selector) }
            #expect(!services.isEmpty, "\(monitor): selects no Service in deploy/")
            for endpoint in endpoints {
                #expect(endpoint["path"] as? String == "/metrics")
                for service in services {
                    let names = (at(service.object, "spec", "ports") as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                    let wanted = endpoint["port"] as? String ?? "-"
                    #expect(names.contains(wanted), "\(monitor): \(service) has no port \(wanted)")
                }
            }
        }
        for set in manifests where set.kind == "StatefulSet" {
            let annotations = at(set.object, "spec", "template", "metadata", "annotations") as? [String: String] ?? [:]
            let httpPort = set.containers.first?.port(named: "http")
            #expect(annotations["prometheus.io/scrape"] == "true", "\(set)")
            #expect(annotations["prometheus.io/port"] == httpPort.map(String.init), "\(set): prometheus.io/port is not the http port")
            #expect(annotations["prometheus.io/path"] == "/metrics", "\(set)")
        }
    }

    @Test("the NetworkPolicy opens only the NFS and http ports, each to named sources")
    func networkPolicy() throws {
        let manifests = try ManifestTools.load()
        let policies = manifests.filter { $0.kind == "NetworkPolicy" }
        #expect(!policies.isEmpty)
        for policy in policies {
            let selector = at(policy.object, "spec", "podSelector", "matchLabels") as? [String: String] ?? [:]
            let sets = manifests.filter { $0.kind == "StatefulSet" && $0.namespace == policy.namespace }
            #expect(sets.contains { !selector.isEmpty && $0.podLabels.contains(selector) }, "\(policy): selects no share-manager Pod")
            for rule in at(policy.object, "spec", "ingress") as? [[String: Any]] ?? [] {
                let from = rule["from"] as? [[String: Any]] ?? []
                #expect(!from.isEmpty, "\(policy): a rule open to every source")
                let ports = (rule["ports"] as? [[String: Any]] ?? []).map { $0["port"] }
                #expect(!ports.isEmpty, "\(policy): a rule open on every port")
                for port in ports {
                    let allowed = ["nfs", "http", "2049", "9500"].contains(port.map { "\($0)" } ?? "-")
                    #expect(allowed, "\(policy): opens port \(port.map { "\($0)" } ?? "-")")
                }
            }
        }
    }

    // MARK: - Clients

    @Test("client PersistentVolumes mount vers=4.1,noresvport,softerr,timeo=600,retrans=5 from a volume's export")
    func clientMountOptions() throws {
        let manifests = try ManifestTools.load()
        let served = Set(manifests.filter { $0.kind == "StatefulSet" }.flatMap(\.containers).compactMap { $0.environment["SHARE_MANAGER_VOLUME"] })
        let volumes = manifests.filter { $0.kind == "PersistentVolume" && at($0.object, "spec", "nfs") != nil }
        #expect(!volumes.isEmpty)
        for volume in volumes {
            let options = at(volume.object, "spec", "mountOptions") as? [String] ?? []
            for wanted in ["vers=4.1", "noresvport", "softerr", "timeo=600", "retrans=5"] {
                #expect(options.contains(wanted), "\(volume): no \(wanted)")
            }
            #expect(!options.contains("hard") && !options.contains("soft"), "\(volume): hard hangs nodes, soft turns timeouts into EIO")
            let path = volume.string("spec", "nfs", "path") ?? ""
            #expect(served.contains(String(path.dropFirst())) && path.hasPrefix("/"), "\(volume): \(path) is no volume a StatefulSet in deploy/ serves")
        }
    }

    static func environmentVariable(_ flag: String) -> String {
        "SHARE_MANAGER_" + flag.uppercased().replacingOccurrences(of: "-", with: "_")
    }
}

// MARK: - Reading the manifests

/// One object of a manifest file, as PyYAML read it (JSON types: String, Int, Bool, arrays, dictionaries).
struct ManifestObject: CustomStringConvertible {
    let file: String
    let object: [String: Any]

    var kind: String { object["kind"] as? String ?? "" }
    var name: String { string("metadata", "name") ?? "" }
    var namespace: String { string("metadata", "namespace") ?? "default" }
    var labels: [String: String] { at(object, "metadata", "labels") as? [String: String] ?? [:] }
    var description: String { "\(kind)/\(name) (\((file as NSString).lastPathComponent))" }

    func string(_ path: String...) -> String? { at(object, path) as? String }
    func int(_ path: String...) -> Int? { at(object, path) as? Int }

    var podSpec: [String: Any] { at(object, "spec", "template", "spec") as? [String: Any] ?? [:] }
    var podLabels: [String: String] { at(object, "spec", "template", "metadata", "labels") as? [String: String] ?? [:] }
    var containers: [ManifestContainer] { (podSpec["containers"] as? [[String: Any]] ?? []).map(ManifestContainer.init) }

    /// A Service whose selector picks Pods with `labels`.
    func selects(_ labels: [String: String]) -> Bool {
        guard let selector = at(object, "spec", "selector") as? [String: String], !selector.isEmpty else { return false }
        return labels.contains(selector)
    }
}

struct ManifestContainer {
    let fields: [String: Any]

    var environmentNames: [String] { (fields["env"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } }
    /// Literal values only: share-manager's settings are not expected from a Secret or the downward API.
    var environment: [String: String] {
        var values: [String: String] = [:]
        for entry in fields["env"] as? [[String: Any]] ?? [] {
            if let name = entry["name"] as? String, let value = entry["value"] as? String { values[name] = value }
        }
        return values
    }

    func port(named name: String) -> Int? {
        (fields["ports"] as? [[String: Any]] ?? []).first { $0["name"] as? String == name }?["containerPort"] as? Int
    }

    /// A Service's targetPort, by name or number, as this container's port number.
    func resolve(port: Any) -> Int? {
        if let number = port as? Int { return number }
        return (port as? String).flatMap { self.port(named: $0) }
    }
}

/// Walks nested dictionaries by key.
func at(_ value: Any?, _ path: String...) -> Any? { at(value, path) }

func at(_ value: Any?, _ path: [String]) -> Any? {
    path.reduce(value) { ($0 as? [String: Any])?[$1] }
}

/// `SYS_ADMIN` and `CAP_SYS_ADMIN` name the same capability.
private func capability(_ name: String) -> String {
    name.uppercased().hasPrefix("CAP_") ? String(name.uppercased().dropFirst(4)) : name.uppercased()
}

extension Dictionary where Key == String, Value == String {
    /// True when every pair of `other` is in this dictionary.
    func contains(_ other: [String: String]) -> Bool { other.allSatisfy { self[$0.key] == $0.value } }
}

enum ManifestTools {
    static var deployDirectory: String {
        ProcessInfo.processInfo.environment["SHARE_MANAGER_DEPLOY_DIR"]
            ?? TestEnvironment.repositoryRoot.appendingPathComponent("deploy").path
    }

    static var converter: String {
        TestEnvironment.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Tools/manifests_json.py").path
    }

    /// The YAML files in deploy/, sorted, as absolute paths.
    static func files() throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: deployDirectory)
        let files = names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { deployDirectory + "/" + $0 }
        #expect(!files.isEmpty, "no YAML files in \(deployDirectory)")
        return files
    }

    /// The venv's python; the suite's `.needs(.python(...))` has checked it imports what the test uses.
    static func python() throws -> String {
        try #require(Binaries.python, "no test venv although the suite's gate found one")
    }

    /// Every object in deploy/, or in `files`.
    static func load(_ files: [String]? = nil) throws -> [ManifestObject] {
        let python = try python()
        let result = try runCommand([python, converter] + (files ?? self.files()))
        try #require(result.status == 0, "the manifests do not parse: \(result.stderr)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        return entries.compactMap { entry in
            guard let file = entry["file"] as? String, let object = entry["object"] as? [String: Any] else { return nil }
            return ManifestObject(file: file, object: object)
        }
    }

    /// `OptionNames.all`, read from its source: the test target does not link ShareCLI.
    static func optionNames() throws -> [String] {
        let source = try String(
            contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("Sources/ShareCLI/ShareManagerOptions.swift"), encoding: .utf8
        )
        guard let start = source.range(of: "public static let all = ["),
              let end = source.range(of: "]", range: start.upperBound..<source.endIndex)
        else { return [] }
        return source[start.upperBound..<end.lowerBound].split(separator: "\"").enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }
}
