extension ManifestFiles {
    /// The namespace, Pod Security level privileged.
    static func namespace(_ v: ManifestValues) -> String {
        let q = YAMLText.quoted
        return #"""
        # The namespace the share-manager Pods run in: one StatefulSet, two Services, a
        # NetworkPolicy and a backing PVC per RWX volume (share-manager-*.yaml), one
        # ServiceMonitor for all of them; all rendered by `share-manager manifests`
        # (docs/kubernetes.md).
        #
        # Pod Security Admission: the share-manager container adds CAP_SYS_ADMIN and runs
        # AppArmor-unconfined (it mounts the volume's filesystem), which the "baseline" level
        # forbids. So the namespace enforces "privileged", and holds nothing but share-manager:
        # an application Pod placed here would escape the checks its own namespace applies.
        apiVersion: v1
        kind: Namespace
        metadata:
          name: \#(q(v.namespace))
          labels:
            pod-security.kubernetes.io/enforce: privileged

        """#
    }

    /// The PriorityClass the Pods name.
    static func priorityClass(_ v: ManifestValues) -> String {
        let q = YAMLText.quoted
        return #"""
        # Scheduling priority of share-manager Pods: one Pod serves every client of its volume,
        # so it is evicted after ordinary Pods under node pressure, and after a failover it may
        # preempt them to be placed at once. Below system-cluster-critical (2000000000), which
        # the cluster's own components keep. Cluster-wide: one for every volume.
        apiVersion: scheduling.k8s.io/v1
        kind: PriorityClass
        metadata:
          name: \#(q(v.priorityClass))
        value: 1000000
        globalDefault: false
        preemptionPolicy: PreemptLowerPriority
        description: share-manager NFS servers, one per RWX volume

        """#
    }

    /// One ServiceMonitor for every volume in the namespace.
    static func serviceMonitor(_ v: ManifestValues) -> String {
        let q = YAMLText.quoted
        return #"""
        # For the Prometheus Operator: one ServiceMonitor scrapes every volume's share-manager in
        # the namespace, through the headless metrics Services. Use it or the prometheus.io/*
        # Pod annotations (share-manager-statefulset.yaml), not both.
        apiVersion: monitoring.coreos.com/v1
        kind: ServiceMonitor
        metadata:
          name: share-manager
          namespace: \#(q(v.namespace))
          labels:
            app.kubernetes.io/name: share-manager
            # Match your Prometheus resource's serviceMonitorSelector.
            release: prometheus
        spec:
          selector:
            matchLabels:
              app.kubernetes.io/name: share-manager
              app.kubernetes.io/component: metrics
          endpoints:
            - port: http
              path: /metrics
              # A scrape costs a few milliseconds (p99 3.9 ms with 100 clients, benchmarks.md) and
              # never waits more than about 2 s for Ganesha: 30 s and 10 s leave room.
              interval: 30s
              scrapeTimeout: 10s

        """#
    }
}
