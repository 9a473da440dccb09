/// One file of `share-manager manifests`: its name in deploy/ and its text.
public struct ManifestFile: Sendable {
    public let name: String
    public let text: String
}

/// deploy/'s files as templates. Every value from a flag goes through `YAMLText.quoted`;
/// comments name only values validated as DNS-1123 labels, which hold no line break.
enum ManifestFiles {
    /// In the order `kubectl apply -f -` needs: the namespace and the PriorityClass first.
    static func render(_ v: ManifestValues) -> [ManifestFile] {
        [
            ManifestFile(name: "namespace.yaml", text: namespace(v)),
            ManifestFile(name: "share-manager-priorityclass.yaml", text: priorityClass(v)),
            ManifestFile(name: "share-manager-statefulset.yaml", text: statefulSet(v)),
            ManifestFile(name: "share-manager-service.yaml", text: services(v)),
            ManifestFile(name: "share-manager-networkpolicy.yaml", text: networkPolicy(v)),
            ManifestFile(name: "share-manager-servicemonitor.yaml", text: serviceMonitor(v)),
            ManifestFile(name: "client-persistentvolume.yaml", text: clientVolume(v)),
        ]
    }

    /// The label pair that ties a volume's objects together and that its selectors match,
    /// written once so that no selector can miss its Pod; `indent` spaces deep.
    static func instanceLabels(_ v: ManifestValues, indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        return "\(pad)app.kubernetes.io/name: share-manager\n\(pad)app.kubernetes.io/instance: \(YAMLText.quoted(v.volume))"
    }
}
