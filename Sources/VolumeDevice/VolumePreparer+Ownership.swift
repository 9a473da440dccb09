import Logging

extension VolumePreparer {
    /// Whose filesystem this is, decided before anything writes (e2fsck and a read-write
    /// mount both change the device) and from what NFS clients cannot write: the filesystem
    /// label, which only root on this node sets. A `.share-manager` folder at the root is
    /// trusted only on a filesystem carrying share-manager's label, whose root is never
    /// exported; on any other it may be a client's, so it decides nothing.
    func decide(on blockDevice: String, label: String, fsLabel: String?) throws(DeviceError) -> Plan {
        let peek = FilesystemPeek(runner: runner, device: blockDevice, label: label, filesystem: fsType)
        switch fsLabel {
        case Formatter.volumeLabel:
            guard let marker = try peek.marker() else {
                throw .markerUnreadable(device: label, reason: "it is missing, yet the filesystem carries share-manager's label \(Formatter.volumeLabel)")
            }
            try verify(marker, label: label)
            ignoreRecoveryDir()
            return .own(setLabel: false)
        case Formatter.pendingLabel:
            return try decidePending(peek, label: label)
        default:
            // An adopted volume runs with a recovery dir; its root is the export, so whatever
            // lies there is the clients' data and is never read.
            if let recoveryDir { return adopt(label: label, recoveryDir: recoveryDir) }
            return try decideLegacy(peek, label: label)
        }
    }

    /// mkfs finished when the label exists, so a pending filesystem is never formatted again.
    /// Holding only what mkfs and the unfinished format wrote, it was never exported: the
    /// format is finished on it. Holding anything more, the label is not ours to believe.
    private func decidePending(_ peek: FilesystemPeek, label: String) throws(DeviceError) -> Plan {
        let beyond = try peek.contentBeyondFormat()
        if beyond.isEmpty {
            logger.warning("found an unfinished share-manager format (label \(Formatter.pendingLabel), nothing written beyond it); finishing it", metadata: [
                "device": "\(label)",
            ])
            return .finishFormat
        }
        let found = beyond.joined(separator: ", ")
        guard let recoveryDir else { throw .pendingHoldsData(device: label, found: found) }
        logger.warning("the filesystem is labelled \(Formatter.pendingLabel) but holds data; adopting it as made elsewhere", metadata: [
            "device": "\(label)", "found": "\(found)",
        ])
        return adopt(label: label, recoveryDir: recoveryDir)
    }

    /// A volume formatted before share-manager kept its label: unlabelled, with a marker for
    /// this volume and nothing at its root but the layout. An adopted volume always runs with
    /// a recovery dir, so a marker its clients plant is never read; and should the operator
    /// drop the recovery dir, a planted marker still counts only once the clients emptied the
    /// root. The kept label is set after the mount.
    private func decideLegacy(_ peek: FilesystemPeek, label: String) throws(DeviceError) -> Plan {
        guard let marker = try peek.marker() else { throw .markerMissing(device: label, filesystem: fsType) }
        try verify(marker, label: label)
        let layout: Set = ["lost+found", VolumeMarker.folderName, VolumeLayout.dataFolder]
        let others = (try peek.entries(of: "/") ?? []).map(\.name).filter { !layout.contains($0) }
        guard others.isEmpty else {
            throw .legacyMarkerUntrusted(device: label, found: others.prefix(5).map(FilesystemPeek.shown).joined(separator: ", "))
        }
        logger.notice("volume formatted by an earlier share-manager (marker, no label); setting the label \(Formatter.volumeLabel)", metadata: [
            "device": "\(label)",
        ])
        return .own(setLabel: true)
    }

    private func adopt(label: String, recoveryDir: String) -> Plan {
        logger.warning("adopting a filesystem made elsewhere: exported at its root, client records kept outside it", metadata: [
            "device": "\(label)", "recoveryDir": "\(recoveryDir)",
            "consequence": "lock reclaim after a node failover works only if the recovery dir moves with the volume",
        ])
        return .adopt(recoveryDir: recoveryDir)
    }

    private func ignoreRecoveryDir() {
        guard let recoveryDir else { return }
        logger.notice("ignoring the recovery dir: this volume keeps its client records on itself", metadata: [
            "recoveryDir": "\(recoveryDir)",
        ])
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
