extension ManifestFiles {
    /// The backing Block PVC and the StatefulSet of one.
    static func statefulSet(_ v: ManifestValues) -> String {
        let q = YAMLText.quoted
        return #"""
        # One RWX volume, "\#(v.volume)": its backing block volume and the share-manager that
        # serves it. Rendered by `share-manager manifests --volume \#(v.volume) ...`: render each
        # volume's files rather than copy and edit these. Needs Kubernetes 1.30 or later (the
        # appArmorProfile field).
        # Why each setting is what it is: docs/kubernetes.md.

        # The backing volume: a raw block device, never mounted by the kubelet. share-manager
        # checks, formats (only when blank) and mounts it itself, inside its own container.
        # A PVC of its own rather than a volumeClaimTemplate: the data belongs to the RWX volume,
        # not to this StatefulSet, which can then be deleted and recreated (to change a field
        # a StatefulSet does not let you change) without touching the claim.
        apiVersion: v1
        kind: PersistentVolumeClaim
        metadata:
          name: \#(q("\(v.volume)-block"))
          namespace: \#(q(v.namespace))
          labels:
        \#(instanceLabels(v, indent: 4))
        spec:
          volumeMode: Block
          # ReadWriteOncePod (CSI drivers only): the scheduler refuses a second Pod on the claim,
          # a fence of its own besides the StatefulSet's. Without CSI, use ReadWriteOnce, which
          # only keeps the device on one node at a time.
          accessModes: [ReadWriteOncePod]
          # Your block storage's class; a replicated one is what lets the volume move to
          # another node when this one dies.
          storageClassName: \#(q(v.storageClass))
          resources:
            requests:
              storage: \#(q(v.size))
        ---
        # A StatefulSet of one, not a Deployment. A Deployment's rolling update starts the new
        # Pod before the old one is gone, and its ReplicaSet replaces a Pod that merely looks
        # dead: either way two Ganeshas could serve one filesystem, which corrupts it. A
        # StatefulSet never runs two Pods of one ordinal: it creates the replacement only once
        # the old Pod object is gone.
        #
        # The price: when the node dies, the Pod object stays (Terminating or Unknown) and no
        # replacement comes by itself, because Kubernetes cannot tell a dead node from a
        # partitioned one that still writes to the device. The operator first makes sure the
        # node is really off (powered down, or fenced from the storage), then either taints it
        #   kubectl taint node NODE node.kubernetes.io/out-of-service=nodeshutdown:NoExecute
        # (its Pods are force-deleted and their volumes detached at once), or force-deletes the Pod:
        #   kubectl -n \#(v.namespace) delete pod share-manager-\#(v.volume)-0 --force --grace-period=0
        # The StatefulSet then starts the Pod elsewhere; the attach waits for the old node's
        # VolumeAttachment to go, which the taint does at once and a forced delete alone does
        # after about six minutes. Clients reclaim their state during the grace period
        # (docs/recovery.md).
        apiVersion: apps/v1
        kind: StatefulSet
        metadata:
          name: \#(q("share-manager-\(v.volume)"))
          namespace: \#(q(v.namespace))
          labels:
        \#(instanceLabels(v, indent: 4))
            app.kubernetes.io/component: nfs-server
        spec:
          replicas: 1
          # The headless metrics Service (share-manager-service.yaml) governs the Pod's DNS name.
          serviceName: \#(q("share-manager-\(v.volume)-metrics"))
          selector:
            matchLabels:
        \#(instanceLabels(v, indent: 6))
          template:
            metadata:
              labels:
        \#(instanceLabels(v, indent: 8))
                app.kubernetes.io/component: nfs-server
              annotations:
                # For a Prometheus that discovers Pods by annotation. With the Prometheus
                # Operator use share-manager-servicemonitor.yaml instead, not both: both would
                # scrape every Pod twice.
                prometheus.io/scrape: "true"
                prometheus.io/port: "9500"
                prometheus.io/path: /metrics
            spec:
              # One Pod serves every client of the volume: it is evicted last under node pressure,
              # and after a failover it may preempt ordinary Pods to find a place at once
              # (share-manager-priorityclass.yaml).
              priorityClassName: \#(q(v.priorityClass))
              # Must exceed SHARE_MANAGER_SHUTDOWN_TIMEOUT (20 s) by the escalation's own bounds:
              # after the timeout share-manager kills Ganesha (up to 2 s), the bus (1 s) and
              # unmounts lazily (3 s), then exits 1, so it is done by about 26 s. The kubelet's
              # SIGKILL at 30 s then never decides what is skipped (docs/operations.md).
              terminationGracePeriodSeconds: 30
              # Service links would put e.g. SHARE_MANAGER_NFS_PORT=tcp://10.96.0.7:2049 into the
              # environment for a Service named "share-manager-nfs", and share-manager reads every
              # SHARE_MANAGER_* variable that names a flag.
              enableServiceLinks: false
              # share-manager never talks to the API server.
              automountServiceAccountToken: false
              # The kubelet makes every emptyDir root's with mode 0777, and share-manager refuses a
              # state dir below a folder others can write (whoever can write it can swap the config
              # a restarted Ganesha reads; docs/operations.md). This closes it before share-manager
              # starts; as the folder's owner, root needs no capability for chmod.
              initContainers:
                - name: state-dir
                  image: \#(q(v.image))
                  imagePullPolicy: IfNotPresent
                  command: ["chmod", "0755", "/var/run/share-manager"]
                  securityContext:
                    runAsUser: 0
                    runAsNonRoot: false
                    allowPrivilegeEscalation: false
                    readOnlyRootFilesystem: true
                    capabilities:
                      drop: [ALL]
                    seccompProfile:
                      type: RuntimeDefault
                  volumeMounts:
                    - name: state
                      mountPath: /var/run/share-manager
        \#(container(v))
        """#
    }
}
