extension ManifestFiles {
    /// The share-manager container and the Pod's volumes, for `statefulSet`.
    static func container(_ v: ManifestValues) -> String {
        let q = YAMLText.quoted
        return #"""
              containers:
                - name: share-manager
                  image: \#(q(v.image))
                  imagePullPolicy: IfNotPresent
                  args: ["run"]
                  env:
                    - name: SHARE_MANAGER_VOLUME
                      value: \#(q(v.volume))
                    - name: SHARE_MANAGER_DEVICE
                      value: /dev/share-manager/volume
                    - name: SHARE_MANAGER_NFS_PORT
                      value: "2049"
                    - name: SHARE_MANAGER_HTTP_PORT
                      value: "9500"
                    # Below terminationGracePeriodSeconds with room for the escalation (see above).
                    - name: SHARE_MANAGER_SHUTDOWN_TIMEOUT
                      value: "20"
                    - name: SHARE_MANAGER_GRACE_PERIOD
                      value: "90"
                    - name: SHARE_MANAGER_LEASE_LIFETIME
                      value: "60"
                    # Pods run with uids that have no names, and a node's ID-mapping domain rarely
                    # matches the container's: numeric owners keep files from showing up as nobody.
                    - name: SHARE_MANAGER_NUMERIC_OWNERS
                      value: "true"
                    # Thin backing volumes get freed blocks back once a day.
                    - name: SHARE_MANAGER_TRIM_INTERVAL
                      value: "86400"
                    - name: SHARE_MANAGER_LOG_FORMAT
                      value: json
                  ports:
                    - name: nfs
                      containerPort: 2049
                      protocol: TCP
                    - name: http
                      containerPort: 9500
                      protocol: TCP
                  # /healthz answers 200 from the moment the HTTP port is bound, through a long
                  # fsck or format, so this passes at its first answer; its 10 minutes cover only
                  # a container that has not bound its port yet, before liveness may judge it.
                  startupProbe:
                    httpGet:
                      path: /healthz
                      port: http
                    periodSeconds: 5
                    timeoutSeconds: 3
                    failureThreshold: 120
                  # 503 when Ganesha is gone or hung (no heartbeat for 10 s), the write probe is
                  # stuck or the filesystem went read-only; 15 s of that restarts the container.
                  livenessProbe:
                    httpGet:
                      path: /healthz
                      port: http
                    periodSeconds: 5
                    timeoutSeconds: 3
                    failureThreshold: 3
                  # 200 only while the export is active and the NFS port answers an RPC NULL
                  # call; it stays 200 during the grace period so that clients can reclaim.
                  readinessProbe:
                    httpGet:
                      path: /readyz
                      port: http
                    periodSeconds: 2
                    timeoutSeconds: 2
                    failureThreshold: 2
                  # Measured with deploy/measure-footprint.sh (release builds, 2 vCPU VM, Ganesha
                  # 4.3, five runs; details in docs/kubernetes.md):
                  #   idle, with probes and a scrape every 30 s: 2-5 millicores; 30.5 MiB of
                  #     anonymous memory in all (share-manager 4 MiB, ganesha.nfsd 26.5,
                  #     dbus-daemon 0.4), 34 MiB in the memory cgroup with page cache
                  #   a 64 MiB NFSv4.1 write (0.6-1.5 s): 0.06-0.12 CPU-seconds; ganesha.nfsd
                  #     keeps 45-60 MiB of anonymous memory afterwards; cgroup 117-132 MiB,
                  #     65 MiB of it page cache
                  #   5000 small files: ganesha.nfsd 54-68 MiB anonymous, 0.9-3.4 KiB per file
                  #     it caches, up to its cache limit of 100000 entries
                  # The request covers the working set after I/O with room for page cache; the
                  # limit covers a full Ganesha metadata cache (100000 x 3.4 KiB = 340 MiB) plus
                  # the rest, since an OOM kill is an outage for every client. No CPU limit: CFS
                  # throttling would stretch every NFS operation exactly when the server is busy.
                  resources:
                    requests:
                      cpu: 100m
                      memory: 128Mi
                    limits:
                      memory: 512Mi
                  securityContext:
                    privileged: false
                    # Root: mounting and Ganesha's switching to each client's uid need it.
                    runAsUser: 0
                    runAsNonRoot: false
                    # SYS_ADMIN: mount, umount, fstrim, xfs_growfs; DAC_READ_SEARCH: Ganesha's
                    # open_by_handle_at; SYS_RESOURCE: resize2fs on a mounted ext4; SYS_PTRACE:
                    # only so that the seccomp profile below allows pidfd_getfd, with which
                    # clients' connections outlive a Ganesha restart (--keep-connections; without
                    # it they reconnect 1 s later). Nothing of the runtime's default set is
                    # dropped: Ganesha acts for every client uid with DAC_OVERRIDE, FOWNER,
                    # FSETID, CHOWN, SETUID and SETGID (docs/container.md).
                    capabilities:
                      add: [SYS_ADMIN, DAC_READ_SEARCH, SYS_RESOURCE, SYS_PTRACE]
                    # no_new_privs: nothing here gains privileges through exec (every process
                    # starts as root with these capabilities in hand), so no setuid binary in the
                    # image can lend any; deploy/measure-footprint.sh runs share-manager with it.
                    # The API rejects false next to the spelling CAP_SYS_ADMIN: keep SYS_ADMIN.
                    allowPrivilegeEscalation: false
                    # Nothing is written outside the emptyDirs below (checked by
                    # deploy/measure-footprint.sh, which runs share-manager on a read-only root).
                    readOnlyRootFilesystem: true
                    # containerd's default profile (contrib/seccomp/seccomp_default.go) allows
                    # mount, umount2, name_to_handle_at and clone3 when CAP_SYS_ADMIN is in the
                    # bounding set, open_by_handle_at with CAP_DAC_READ_SEARCH and pidfd_getfd
                    # with CAP_SYS_PTRACE: every syscall a traced run made. Another runtime: check
                    # its profile, or set Unconfined.
                    seccompProfile:
                      type: RuntimeDefault
                    # The runtime's default AppArmor profile has "deny mount," (containerd's
                    # contrib/apparmor/template.go). Before Kubernetes 1.30 use the Pod annotation
                    # container.apparmor.security.beta.kubernetes.io/share-manager: unconfined.
                    appArmorProfile:
                      type: Unconfined
                  volumeDevices:
                    - name: volume
                      devicePath: /dev/share-manager/volume
                  # No mount propagation: only this container uses the volume's mount, and it
                  # vanishes with the container's mount namespace if the container dies, instead
                  # of staying behind on the node (Bidirectional would also need privileged).
                  volumeMounts:
                    # The state dir's parent (default --state-dir /var/run/share-manager/NAME):
                    # rendered configs, pid files, the private bus and control sockets.
                    - name: state
                      mountPath: /var/run/share-manager
                    # The mount point's parent (default --mount-point /export/NAME).
                    - name: export
                      mountPath: /export
                    # Ganesha checks OFD lock support with a file in /tmp at every start; without
                    # it, it logs CRIT and keeps byte-range locks in its own memory only.
                    - name: tmp
                      mountPath: /tmp
              volumes:
                - name: volume
                  persistentVolumeClaim:
                    claimName: \#(q("\(v.volume)-block"))
                - name: state
                  emptyDir:
                    medium: Memory
                    sizeLimit: 16Mi
                - name: export
                  emptyDir:
                    sizeLimit: 1Mi
                - name: tmp
                  emptyDir:
                    medium: Memory
                    sizeLimit: 16Mi

        """#
    }
}
