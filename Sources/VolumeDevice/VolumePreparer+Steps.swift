import Logging

extension VolumePreparer {
    /// The work on a block device nobody else uses; `label` names the device for the operator.
    func prepare(blockDevice: String, label: String, loop: LoopAttachment?) async throws(DeviceError) -> PreparedVolume {
        try DeviceUsage(runner: runner).refuseIfInUse(blockDevice)
        let content = try await DeviceProbe(runner: runner).probe(blockDevice)
        let formatted: Bool
        switch content {
        case .foreign(let found):
            throw .notBlank(device: label, found: found)
        case .blank:
            try Formatter(runner: runner).format(blockDevice, label: label, as: fsType)
            formatted = true
        case .filesystem(let found):
            guard found == fsType else { throw .filesystemMismatch(device: label, found: found, requested: fsType) }
            // The marker decides before anything writes: e2fsck and a read-write mount both
            // change the device, and a device that is not ours must stay untouched.
            try await verifyMarker(on: blockDevice, label: label)
            try FilesystemCheck(runner: runner).check(blockDevice, label: label, filesystem: fsType)
            formatted = false
        }

        let mounter = Mounter(runner: runner)
        try mounter.mount(blockDevice, at: mountPoint, as: fsType, options: fsType.mountOptions)
        do throws(DeviceError) {
            try VolumeLayout.ensure(root: mountPoint)
            // The marker goes last: a format interrupted before it leaves a filesystem without
            // a marker, which the next start refuses instead of taking it for ours.
            if formatted { try VolumeMarker(volume: volume).write(toRoot: mountPoint) }
        } catch {
            await undo("unmount") { () async throws(DeviceError) in try await mounter.unmount(mountPoint) }
            throw error
        }
        logger.notice("volume ready", metadata: [
            "device": "\(label)", "mountPoint": "\(mountPoint)", "filesystem": "\(fsType.rawValue)", "formatted": "\(formatted)",
        ])
        return PreparedVolume(
            devicePath: blockDevice, mountPoint: mountPoint, filesystem: fsType, formatted: formatted,
            exportPath: VolumeLayout.exportPath(root: mountPoint), recoveryRoot: VolumeLayout.recoveryRoot(root: mountPoint),
            attachedLoop: loop?.device
        )
    }

    private func verifyMarker(on blockDevice: String, label: String) async throws(DeviceError) {
        let marker = try await MarkerPeek(runner: runner).marker(on: blockDevice, label: label, filesystem: fsType)
        guard let marker else { throw .markerMissing(device: label, filesystem: fsType) }
        guard marker.volume == volume else { throw .otherVolume(device: label, found: marker.volume, expected: volume) }
        guard marker.layoutVersion <= VolumeMarker.currentLayoutVersion else {
            throw .layoutTooNew(device: label, found: marker.layoutVersion, supported: VolumeMarker.currentLayoutVersion)
        }
    }
}
