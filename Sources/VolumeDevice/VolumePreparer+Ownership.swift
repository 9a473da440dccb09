import Logging

extension VolumePreparer {
    /// Whose filesystem this is. The marker decides before anything writes: e2fsck and a
    /// read-write mount both change the device, and a device that is not ours must stay untouched.
    func decide(on blockDevice: String, label: String, pending: Bool) async throws(DeviceError) -> Plan {
        let marker = try await MarkerPeek(runner: runner).marker(on: blockDevice, label: label, filesystem: fsType)
        if let marker {
            try verify(marker, label: label)
            if let recoveryDir {
                logger.notice("ignoring the recovery dir: this volume keeps its client records on itself", metadata: [
                    "recoveryDir": "\(recoveryDir)",
                ])
            }
            return .own(pendingLabel: pending)
        }
        if pending {
            // Nothing is exported before the label is cleared, so this never held user data.
            logger.warning("found an unfinished share-manager format (label sm-pending, no marker); formatting it again", metadata: [
                "device": "\(label)",
            ])
            return .format(reason: "an unfinished share-manager format")
        }
        guard let recoveryDir else { throw .markerMissing(device: label, filesystem: fsType) }
        logger.warning("adopting a filesystem made elsewhere: exported at its root, client records kept outside it", metadata: [
            "device": "\(label)", "recoveryDir": "\(recoveryDir)",
            "consequence": "lock reclaim after a node failover works only if the recovery dir moves with the volume",
        ])
        return .adopt(recoveryDir: recoveryDir)
    }

    private func verify(_ marker: VolumeMarker, label: String) throws(DeviceError) {
        guard marker.volume == volume else { throw .otherVolume(device: label, found: marker.volume, expected: volume) }
        guard marker.layoutVersion <= VolumeMarker.currentLayoutVersion else {
            throw .layoutTooNew(device: label, found: marker.layoutVersion, supported: VolumeMarker.currentLayoutVersion)
        }
        // Seam for migrations: layout 1 is the only one so far, so no older layout can exist.
        // When layout 2 comes, an older marker is migrated here (after the check, before the
        // export); until then a version below 1 was never written by share-manager.
        guard marker.layoutVersion >= 1 else {
            throw .markerUnreadable(device: label, reason: "layout version \(marker.layoutVersion) was never written by share-manager")
        }
    }
}
