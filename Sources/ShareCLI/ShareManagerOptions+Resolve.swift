import GaneshaConfig
import IDMapping
import RunSettings
import VolumeDevice

extension ShareManagerOptions {
    /// Checks every flag; the first bad one is reported with its name.
    public func resolve(requireDevice: Bool) throws(ValidationError) -> ResolvedOptions {
        guard let rawVolume = volume else {
            throw ValidationError(flag: "volume", reason: "is required (or set SHARE_MANAGER_VOLUME)")
        }
        let name = try VolumeName(validating: rawVolume)
        var checkedDevice: String?
        if let device {
            checkedDevice = try SafePath(validating: device, flag: "device").value
        } else if requireDevice {
            throw ValidationError(flag: "device", reason: "is required (or set SHARE_MANAGER_DEVICE)")
        }
        let mountPath = try SafePath(validating: mountPoint ?? "/export/\(name)", flag: "mount-point")
        guard mountPath.value != "/" else {
            throw ValidationError(flag: "mount-point", reason: "must not be /")
        }
        // The private bus socket lives here, and a unix socket path has at most 107 bytes.
        let state = try SafePath(validating: stateDir ?? "/var/run/share-manager/\(name)", flag: "state-dir", maxLength: 88)
        guard state.value != "/" else {
            throw ValidationError(flag: "state-dir", reason: "must not be /")
        }
        let timings = fastFailover ? LeaseTimings.fastFailover : .standard
        let grace = try RangeCheck.seconds(gracePeriod ?? timings.grace, in: 0...270, flag: "grace-period")
        let lease = try RangeCheck.seconds(leaseLifetime ?? timings.lease, in: 1...180, flag: "lease-lifetime")
        var warnings: [String] = []
        if grace > 0 && grace < lease {
            warnings.append("--grace-period \(grace) is shorter than --lease-lifetime \(lease): clients may not get the chance to reclaim before grace ends")
        }
        guard let fs = FilesystemType(rawValue: fsType) else {
            throw ValidationError(flag: "fs-type", reason: "'\(fsType)' is not supported; use ext4 or xfs")
        }
        guard let access = GaneshaSettings.AccessType(rawValue: accessType.uppercased()) else {
            throw ValidationError(flag: "access-type", reason: "'\(accessType)' is not supported; use RW or RO")
        }
        let mkfs = (mkfsOptions ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
        let mount = (mountOptions ?? "").split(separator: ",").map(String.init)
        do {
            try VolumePreparer.validateMkfsOptions(mkfs, for: fs)
        } catch {
            throw ValidationError(flag: "mkfs-options", reason: "\(error)")
        }
        do {
            try VolumePreparer.validateMountOptions(mount, for: fs, readOnly: access == .readOnly)
        } catch {
            throw ValidationError(flag: "mount-options", reason: "\(error)")
        }
        let recovery = try recoveryDir.map { dir throws(ValidationError) in try SafePath(validating: dir, flag: "recovery-dir") }
        try Self.checkMountPoint(mountPath, stateDir: state, recoveryDir: recovery)
        guard trimInterval == 0 || (60...31_536_000).contains(trimInterval) else {
            throw ValidationError(flag: "trim-interval", reason: "\(trimInterval) is out of range (0 for never, or 60-31536000 seconds)")
        }
        if access == .readOnly && recovery == nil {
            warnings.append("--access-type RO without --recovery-dir: client records are kept in the state directory and do not follow the volume to another node")
        }
        if let idmapDomain {
            do {
                try IDMapDomain.validate(domain: idmapDomain)
            } catch {
                throw ValidationError(flag: "idmap-domain", reason: "\(error)")
            }
        }
        if enableNfsv40 {
            warnings.append("--enable-nfsv40: NFSv4.0 clients cannot signal that their reclaim is complete, so one of them holds every restart to the full --grace-period (\(grace) s)")
        }
        guard let format = ResolvedOptions.LogFormat(rawValue: logFormat) else {
            throw ValidationError(flag: "log-format", reason: "'\(logFormat)' is not supported; use text or json")
        }
        var settings = GaneshaSettings(
            volume: name,
            nfsAddress: try NetworkAddress(validating: nfsAddress, flag: "nfs-address"),
            nfsPort: try RangeCheck.port(nfsPort, flag: "nfs-port", allowZero: true),
            gracePeriod: grace,
            leaseLifetime: lease,
            exportPath: try SafePath(validating: mountPath.appending("data"), flag: "mount-point"),
            recoveryRoot: try SafePath(validating: mountPath.appending(".share-manager/recovery"), flag: "mount-point"),
            accessType: access,
            idmapConfig: idmapDomain == nil ? nil : try SafePath(validating: state.appending("idmapd.conf"), flag: "state-dir"),
            numericOwners: numericOwners
        )
        settings.enableNFSv40 = enableNfsv40
        try resolveAccess(into: &settings, warnings: &warnings)
        settings.exportConfig = try SafePath(validating: state.appending("export.conf"), flag: "state-dir")
        var resolved = ResolvedOptions(
            device: checkedDevice,
            mountPoint: mountPath,
            stateDir: state,
            httpAddress: try NetworkAddress(validating: httpAddress, flag: "http-address"),
            httpPort: Int(try RangeCheck.port(httpPort, flag: "http-port", allowZero: true)),
            fsType: fs,
            mkfsOptions: mkfs,
            mountOptions: mount,
            recoveryDir: recovery,
            trimInterval: trimInterval,
            shutdownTimeout: .seconds(try RangeCheck.seconds(shutdownTimeout, in: 1...300, flag: "shutdown-timeout")),
            idmapDomain: idmapDomain,
            logFormat: format,
            templatesDir: try templatesDir.map { dir throws(ValidationError) in try SafePath(validating: dir, flag: "templates-dir").value },
            ganesha: settings,
            control: try resolveControl(stateDir: state),
            warnings: warnings
        )
        resolved.keepConnections = keepConnections
        return resolved
    }
}

extension ShareManagerOptions {
    /// Who may reach the export and as whom: the client list, squash and anonymous ids.
    func resolveAccess(into settings: inout GaneshaSettings, warnings: inout [String]) throws(ValidationError) {
        if let allowedClients {
            settings.allowedClients = try ClientList.parse(allowedClients)
        }
        settings.squash = try GaneshaSettings.Squash(validating: squash)
        settings.anonymousUID = try anonymousUid.map { raw throws(ValidationError) in try AnonymousID(validating: raw, flag: "anonymous-uid") }
        settings.anonymousGID = try anonymousGid.map { raw throws(ValidationError) in try AnonymousID(validating: raw, flag: "anonymous-gid") }
        if settings.squash == .noRootSquash && (anonymousUid != nil || anonymousGid != nil) {
            warnings.append("--anonymous-uid/--anonymous-gid take effect only for squashed requests, and --squash is none")
        }
    }
}

