extension ManifestFiles {
    /// The NFS Service on its fixed ClusterIP, and the headless metrics Service.
    static func services(_ v: ManifestValues) -> String {
        let q = YAMLText.quoted
        return #"""
        # The two Services of volume "\#(v.volume)" (rendered with share-manager-statefulset.yaml).

        # Where clients mount: a ClusterIP stays the same when the Pod moves to another node,
        # so clients reconnect to the same address after a failover and reclaim their state.
        # Clients mount it from the node (the kubelet, or a CSI node plugin), where cluster DNS
        # names usually do not resolve: the client PersistentVolume names this Service's IP.
        apiVersion: v1
        kind: Service
        metadata:
          name: \#(q("share-manager-\(v.volume)"))
          namespace: \#(q(v.namespace))
          labels:
        \#(instanceLabels(v, indent: 4))
            app.kubernetes.io/component: nfs
        spec:
          type: ClusterIP
          # Fixed (share-manager manifests --cluster-ip), not allocated: a Service deleted and
          # re-created gets the same address back, so mounted clients reconnect instead of
          # hanging on an address nobody answers.
          clusterIP: \#(q(v.clusterIP))
          selector:
        \#(instanceLabels(v, indent: 4))
          # Only a ready Pod (export active, NFS port answering) gets clients. The default,
          # spelt out because the metrics Service below does the opposite.
          publishNotReadyAddresses: false
          # One Pod behind it: there is nothing to be affine to.
          sessionAffinity: None
          ports:
            - name: nfs
              port: 2049
              targetPort: nfs
              protocol: TCP
        ---
        # Headless, for the StatefulSet's serviceName and for the ServiceMonitor. A Pod that is
        # not ready (restarting Ganesha, preparing the device) still has metrics worth scraping.
        apiVersion: v1
        kind: Service
        metadata:
          name: \#(q("share-manager-\(v.volume)-metrics"))
          namespace: \#(q(v.namespace))
          labels:
        \#(instanceLabels(v, indent: 4))
            app.kubernetes.io/component: metrics
        spec:
          clusterIP: None
          selector:
        \#(instanceLabels(v, indent: 4))
          publishNotReadyAddresses: true
          ports:
            - name: http
              port: 9500
              targetPort: http
              protocol: TCP

        """#
    }

    /// NFS from the nodes' networks, /metrics from Prometheus.
    static func networkPolicy(_ v: ManifestValues) -> String {
        let q = YAMLText.quoted
        let nodeBlocks = v.nodeCIDRs.map { "        - ipBlock:\n            cidr: \(q($0))" }.joined(separator: "\n")
        return #"""
        # Who may reach the share-manager Pod of volume "\#(v.volume)": NFS only from the nodes
        # (share-manager manifests --node-cidr), where the kubelet or a CSI node plugin mounts
        # the volume for the Pods that use it; /metrics only from Prometheus. Everything else is
        # dropped, /metrics included: its answers carry no secrets but are no one else's business.
        #
        # The kubelet's probes need no rule: traffic from the Pod's own node is always allowed.
        # Egress is left open: NFSv4.1 callbacks travel on the client's own connection, so
        # share-manager needs no egress but DNS.
        #
        # What the source address of a mount looks like depends on the network plugin: a node's
        # own address, or, where traffic from the host to a Service is masqueraded, the node's
        # tunnel or bridge address inside the Pod network. `share-manager clients` in the Pod
        # lists the addresses Ganesha sees; the list below must hold them. Use the same list
        # for SHARE_MANAGER_ALLOWED_CLIENTS to fence the export in Ganesha too (docs/security.md).
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: \#(q("share-manager-\(v.volume)"))
          namespace: \#(q(v.namespace))
        spec:
          podSelector:
            matchLabels:
        \#(instanceLabels(v, indent: 6))
          policyTypes: [Ingress]
          ingress:
            - ports:
                - port: nfs
                  protocol: TCP
              from:
                # The nodes' addresses.
        \#(nodeBlocks)
                # A CSI node plugin that mounts from the Pod network (not hostNetwork): name
                # its namespace and labels here.
                - namespaceSelector:
                    matchLabels:
                      kubernetes.io/metadata.name: kube-system
                  podSelector:
                    matchLabels:
                      app.kubernetes.io/component: csi-node-plugin
            - ports:
                - port: http
                  protocol: TCP
              from:
                - namespaceSelector:
                    matchLabels:
                      kubernetes.io/metadata.name: monitoring
                  podSelector:
                    matchLabels:
                      app.kubernetes.io/name: prometheus

        """#
    }

    /// What applications mount: the PersistentVolume on the fixed ClusterIP, and its claim.
    static func clientVolume(_ v: ManifestValues) -> String {
        let q = YAMLText.quoted
        return #"""
        # How application Pods use volume "\#(v.volume)": an NFS PersistentVolume bound to their
        # ReadWriteMany claim. Its mount options are the part that matters: why each one is
        # there is in docs/kubernetes.md ("Client mount options").
        apiVersion: v1
        kind: PersistentVolume
        metadata:
          name: \#(q(v.volume))
          labels:
        \#(instanceLabels(v, indent: 4))
        spec:
          capacity:
            storage: \#(q(v.size))
          accessModes: [ReadWriteMany]
          # The data lives on the backing block volume; deleting this object must not touch it.
          persistentVolumeReclaimPolicy: Retain
          # Empty: bound only to the claim below, never provisioned or picked by a class.
          storageClassName: ""
          mountOptions:
            # Sessions, so a reconnect keeps its state, and RECLAIM_COMPLETE, so grace ends as
            # soon as every client has reclaimed (a 4.0 client holds it for the full 90 s).
            - vers=4.1
            # A new source port for each new connection: after a failover the old port's
            # connection-tracking entry may still lead to the old Pod.
            - noresvport
            # Give up after a major timeout with ETIMEDOUT, not hang forever (hard) and not with
            # an EIO that looks like a disk error (soft).
            - softerr
            # 60 s per try, 5 retries: 6 minutes without any answer before an error. A failover's
            # refused connects and grace replies are answers and do not use it up (docs/recovery.md).
            - timeo=600
            - retrans=5
          nfs:
            # The fixed ClusterIP of Service share-manager-\#(v.volume): nodes usually cannot
            # resolve cluster DNS names, and this address survives the Service being re-created.
            server: \#(q(v.clusterIP))
            # The export's Pseudo path is the volume's name.
            path: \#(q("/\(v.volume)"))
        ---
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: \#(q(v.clientClaim))
          namespace: \#(q(v.clientNamespace))
        spec:
          accessModes: [ReadWriteMany]
          storageClassName: ""
          volumeName: \#(q(v.volume))
          resources:
            requests:
              storage: \#(q(v.size))

        """#
    }
}
