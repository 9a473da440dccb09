import ArgumentParser
import GaneshaConfig
import ShareCLI
import Testing

@Suite("Flags, environment fallback and validation")
struct OptionsTests {
    @Test("every flag of run has an environment variable, and the table lists no flag that does not exist")
    func tableMatchesFlags() {
        let help = ShareManagerOptions.helpMessage(columns: 400)
        let flags = Set(help.matches(of: /--([a-z][a-z0-9-]*)/).map { String($0.1) }).subtracting(["help", "version"])
        #expect(flags == Set(OptionNames.all))
    }

    @Test("variable names follow SHARE_MANAGER_<FLAG_IN_CAPS>")
    func variableNames() {
        #expect(OptionNames.environmentVariable(for: "mount-point") == "SHARE_MANAGER_MOUNT_POINT")
        #expect(OptionNames.environmentVariable(for: "nfs-port") == "SHARE_MANAGER_NFS_PORT")
    }

    @Test("an environment variable fills in a missing flag")
    func fallback() throws {
        let env = ["SHARE_MANAGER_VOLUME": "vol-a", "SHARE_MANAGER_NFS_PORT": "2050", "SHARE_MANAGER_FS_TYPE": "xfs"]
        let args = EnvironmentFallback.apply(to: [], environment: env)
        let options = try ShareManagerOptions.parse(args)
        #expect(options.volume == "vol-a")
        #expect(options.nfsPort == 2050)
        #expect(options.fsType == "xfs")
    }

    @Test("the flag wins over the environment, in both spellings")
    func flagWins() throws {
        let env = ["SHARE_MANAGER_VOLUME": "from-env", "SHARE_MANAGER_HTTP_PORT": "1111"]
        let options = try ShareManagerOptions.parse(
            EnvironmentFallback.apply(to: ["--volume", "from-flag", "--http-port=2222"], environment: env)
        )
        #expect(options.volume == "from-flag")
        #expect(options.httpPort == 2222)
    }

    @Test("a value from the environment that starts with '-' stays a value")
    func dashValue() throws {
        let args = EnvironmentFallback.apply(to: [], environment: ["SHARE_MANAGER_VOLUME": "-x"])
        let options = try ShareManagerOptions.parse(args)
        #expect(options.volume == "-x")
        #expect(throws: GaneshaConfig.ValidationError.self) { try options.resolve(requireDevice: false) }
    }

    @Test("unrelated variables are ignored")
    func unrelated() {
        #expect(EnvironmentFallback.apply(to: ["--volume", "a"], environment: ["SHARE_MANAGER_BOGUS": "1", "PATH": "/bin"]) == ["--volume", "a"])
    }

    @Test("defaults derive from the volume name")
    func defaults() throws {
        let resolved = try ShareManagerOptions.parse(["--volume", "pvc-1", "--device", "/dev/sdb"]).resolve(requireDevice: true)
        #expect(resolved.mountPoint.value == "/export/pvc-1")
        #expect(resolved.stateDir.value == "/var/run/share-manager/pvc-1")
        #expect(resolved.ganesha.exportPath.value == "/export/pvc-1/data")
        #expect(resolved.ganesha.recoveryRoot.value == "/export/pvc-1/.share-manager/recovery")
        #expect(resolved.ganesha.nfsPort == 2049)
        #expect(resolved.httpPort == 9500)
        #expect(resolved.ganesha.gracePeriod == 90)
        #expect(resolved.ganesha.leaseLifetime == 60)
        #expect(resolved.warnings.isEmpty)
    }

    @Test("--fast-failover sets lease 7 / grace 21; an explicit flag or variable wins")
    func fastFailover() throws {
        let fast = try ShareManagerOptions.parse(["--volume", "v", "--fast-failover", "true"]).resolve(requireDevice: false)
        #expect(fast.ganesha.leaseLifetime == 7 && fast.ganesha.gracePeriod == 21 && fast.warnings.isEmpty)
        let lease = try ShareManagerOptions.parse(["--volume", "v", "--fast-failover", "true", "--lease-lifetime", "10"]).resolve(requireDevice: false)
        #expect(lease.ganesha.leaseLifetime == 10 && lease.ganesha.gracePeriod == 21)
        let fromEnvironment = EnvironmentFallback.apply(
            to: ["--volume", "v"], environment: ["SHARE_MANAGER_FAST_FAILOVER": "true", "SHARE_MANAGER_GRACE_PERIOD": "20"])
        let both = try ShareManagerOptions.parse(fromEnvironment).resolve(requireDevice: false)
        #expect(both.ganesha.leaseLifetime == 7 && both.ganesha.gracePeriod == 20)
    }

    @Test("connections are kept across a restart unless --keep-connections false (or its variable) says not")
    func keepConnections() throws {
        #expect(try ShareManagerOptions.parse(["--volume", "v"]).resolve(requireDevice: false).keepConnections)
        #expect(try !ShareManagerOptions.parse(["--volume", "v", "--keep-connections", "false"]).resolve(requireDevice: false).keepConnections)
        let fromEnvironment = EnvironmentFallback.apply(to: ["--volume", "v"], environment: ["SHARE_MANAGER_KEEP_CONNECTIONS": "false"])
        #expect(try !ShareManagerOptions.parse(fromEnvironment).resolve(requireDevice: false).keepConnections)
    }

    @Test("a grace period shorter than the lease is legal but warned about")
    func graceShorterThanLease() throws {
        let resolved = try ShareManagerOptions.parse(["--volume", "v", "--grace-period", "30", "--lease-lifetime", "60"])
            .resolve(requireDevice: false)
        #expect(resolved.warnings.count == 1)
        let zero = try ShareManagerOptions.parse(["--volume", "v", "--grace-period", "0"]).resolve(requireDevice: false)
        #expect(zero.warnings.isEmpty)
    }

    static let badFlags: [([String], String)] = [
        (["--device", "/dev/sdb"], "volume"),
        (["--volume", "v"], "device"),
        (["--volume", "v", "--device", "dev/sdb"], "device"),
        (["--volume", "v", "--device", "/dev/sdb", "--mount-point", "/mnt/a\"; }"], "mount-point"),
        (["--volume", "v", "--device", "/dev/sdb", "--mount-point", "/"], "mount-point"),
        (["--volume", "v", "--device", "/dev/sdb", "--state-dir", "/run/%include"], "state-dir"),
        (["--volume", "v", "--device", "/dev/sdb", "--state-dir", "/" + String(repeating: "s", count: 90)], "state-dir"),
        (["--volume", "v", "--device", "/dev/sdb", "--nfs-address", "0.0.0.0;"], "nfs-address"),
        (["--volume", "v", "--device", "/dev/sdb", "--nfs-port", "65536"], "nfs-port"),
        (["--volume", "v", "--device", "/dev/sdb", "--http-address", "example.com"], "http-address"),
        (["--volume", "v", "--device", "/dev/sdb", "--http-port", "70000"], "http-port"),
        (["--volume", "v", "--device", "/dev/sdb", "--grace-period", "271"], "grace-period"),
        (["--volume", "v", "--device", "/dev/sdb", "--lease-lifetime", "0"], "lease-lifetime"),
        (["--volume", "v", "--device", "/dev/sdb", "--fs-type", "btrfs"], "fs-type"),
        (["--volume", "v", "--device", "/dev/sdb", "--log-format", "xml"], "log-format"),
        (["--volume", "v", "--device", "/dev/sdb", "--templates-dir", "rel"], "templates-dir"),
        (["--volume", "v", "--device", "/dev/sdb", "--access-type", "RWX"], "access-type"),
        (["--volume", "v", "--device", "/dev/sdb", "--trim-interval", "5"], "trim-interval"),
        (["--volume", "v", "--device", "/dev/sdb", "--mkfs-options=-n"], "mkfs-options"),
        (["--volume", "v", "--device", "/dev/sdb", "--mkfs-options=-L evil"], "mkfs-options"),
        (["--volume", "v", "--device", "/dev/sdb", "--mkfs-options", "/dev/sda"], "mkfs-options"),
        (["--volume", "v", "--device", "/dev/sdb", "--mount-options", "errors=continue"], "mount-options"),
        (["--volume", "v", "--device", "/dev/sdb", "--mount-options", "noatime,bind"], "mount-options"),
        (["--volume", "v", "--device", "/dev/sdb", "--mount-options", "ro"], "mount-options"),
        (["--volume", "v", "--device", "/dev/sdb", "--recovery-dir", "rel/dir"], "recovery-dir"),
        (["--volume", "v", "--device", "/dev/sdb", "--idmap-domain", "bad domain"], "idmap-domain"),
        (["--volume", "v", "--device", "/dev/sdb", "--idmap-domain", "x]\nDomain=evil"], "idmap-domain"),
        (["--volume", "v", "--device", "/dev/sdb", "--allowed-clients", "10.0.0.0/8; } EXPORT {"], "allowed-clients"),
        (["--volume", "v", "--device", "/dev/sdb", "--allowed-clients", ""], "allowed-clients"),
        (["--volume", "v", "--device", "/dev/sdb", "--allowed-clients", "ok.example,%include /etc/passwd"], "allowed-clients"),
        (["--volume", "v", "--device", "/dev/sdb", "--squash", "no_root_squash"], "squash"),
        (["--volume", "v", "--device", "/dev/sdb", "--anonymous-uid=-1"], "anonymous-uid"),
        (["--volume", "v", "--device", "/dev/sdb", "--anonymous-gid", "4294967295"], "anonymous-gid"),
        (["--volume", "v", "--device", "/dev/sdb", "--anonymous-gid", "nobody"], "anonymous-gid"),
    ]

    @Test("access flags reach the Ganesha settings, from flags or the environment; by default every client, unsquashed")
    func accessFlags() throws {
        let plain = try ShareManagerOptions.parse(["--volume", "v"]).resolve(requireDevice: false)
        #expect(plain.ganesha.allowedClients == nil)
        #expect(plain.ganesha.squash == .noRootSquash)
        #expect(plain.ganesha.anonymousUID == nil && plain.ganesha.anonymousGID == nil)
        let env = [
            "SHARE_MANAGER_ALLOWED_CLIENTS": "10.0.0.0/8, NFS.example.com", "SHARE_MANAGER_SQUASH": "root",
            "SHARE_MANAGER_ANONYMOUS_UID": "1000", "SHARE_MANAGER_ANONYMOUS_GID": "1",
        ]
        let resolved = try ShareManagerOptions.parse(
            EnvironmentFallback.apply(to: ["--volume", "v", "--anonymous-gid", "2000"], environment: env)
        ).resolve(requireDevice: false)
        #expect(resolved.ganesha.allowedClients?.entries == ["10.0.0.0/8", "nfs.example.com"])
        #expect(resolved.ganesha.squash == .rootSquash)
        #expect(resolved.ganesha.anonymousUID?.value == 1000)
        #expect(resolved.ganesha.anonymousGID?.value == 2000)
        #expect(resolved.warnings.isEmpty)
        let everyone = try ShareManagerOptions.parse(["--volume", "v", "--allowed-clients", "*"]).resolve(requireDevice: false)
        #expect(everyone.ganesha.allowedClients == nil)
        let unsquashed = try ShareManagerOptions.parse(["--volume", "v", "--anonymous-uid", "5"]).resolve(requireDevice: false)
        #expect(unsquashed.warnings.count == 1)
    }

    @Test("allowed extra mkfs and mount options pass through")
    func extraOptions() throws {
        let resolved = try ShareManagerOptions.parse([
            "--volume", "v", "--mkfs-options=-m 1 -E lazy_itable_init=0", "--mount-options", "noatime,discard",
            "--access-type", "ro", "--recovery-dir", "/var/lib/sm/v", "--trim-interval", "86400",
        ]).resolve(requireDevice: false)
        #expect(resolved.mkfsOptions == ["-m", "1", "-E", "lazy_itable_init=0"])
        #expect(resolved.mountOptions == ["noatime", "discard"])
        #expect(resolved.readOnly)
        #expect(resolved.recoveryDir?.value == "/var/lib/sm/v")
        #expect(resolved.trimInterval == 86400)
    }

    @Test("each bad flag is reported with its name", arguments: badFlags)
    func badFlag(_ args: [String], _ flag: String) throws {
        let options = try ShareManagerOptions.parse(args)
        do {
            _ = try options.resolve(requireDevice: true)
            Issue.record("accepted \(args)")
        } catch {
            #expect(error.flag == flag)
            #expect(!error.description.contains("\n"))
        }
    }
}
