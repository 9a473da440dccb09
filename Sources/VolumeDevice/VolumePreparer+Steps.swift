import FoundationEssentials
import Glibc
import Logging

extension VolumePreparer {
    /// What this start does with the device, decided before anything writes.
    enum Plan: Equatable {
        /// Blank: mkfs, then the layout, the marker and the label.
        case format(reason: String)
        /// mkfs of ours ran and nothing else was written since (label `sm-pending`): the
        /// layout, the marker and the label, without a second mkfs.
        case finishFormat
        /// Ours, with a marker for this volume; `setLabel` for a volume formatted before the
        /// label was kept.
        case own(setLabel: Bool)
        /// Made elsewhere: mounted and exported at its root, records kept in `recoveryDir`.
        case adopt(recoveryDir: String)

        var isFormat: Bool { if case .format = self { true } else { false } }
    }

    /// The work on a block device nobody else uses; `label` names the device for the operator.
    func prepare(blockDevice: String, label: String, loop: LoopAttachment?) async throws(DeviceError) -> PreparedVolume {
        try DeviceUsage(runner: runner).refuseIfInUse(blockDevice)
        let probed = try await DeviceProbe(runner: runner).inspect(blockDevice)
        let plan: Plan
        var sizes: (device: Int64, filesystem: Int64)?
        switch probed.content {
        case .foreign(let found):
            throw .notBlank(device: label, found: found)
        case .blank:
            plan = .format(reason: "blank")
        case .filesystem(let found):
            guard found == fsType else { throw .filesystemMismatch(device: label, found: found, requested: fsType) }
            // Measured first: a filesystem larger than its device cannot even be peeked at.
            sizes = try measure(blockDevice, label: label)
            plan = try decide(on: blockDevice, label: label, fsLabel: probed.label)
        }

        switch plan {
        case .format(let reason):
            guard !readOnly else { throw .readOnlyNeedsFormat(device: label, found: reason) }
            try Formatter(runner: runner).format(blockDevice, label: label, as: fsType, options: mkfsOptions)
            sizes = nil  // a fresh filesystem fills its device
        case .adopt(let recoveryDir):
            try SystemCall.makeFolders(URL(fileURLWithPath: recoveryDir).deletingLastPathComponent().path, mode: 0o755)
            try VolumeLayout.makeFolder(recoveryDir, mode: 0o700)
            fallthrough
        case .own, .finishFormat:
            if plan == .finishFormat, readOnly { throw .readOnlyNeedsFormat(device: label, found: "an unfinished share-manager format") }
            // A read-only share writes nothing: e2fsck -n would also call a journal that the
            // ro mount is about to replay an error.
            if !readOnly {
                let grows = sizes.map(needsOfflineGrow) ?? false
                try FilesystemCheck(runner: runner).check(blockDevice, label: label, filesystem: fsType, forced: grows)
                if grows, let sizes { try growOffline(blockDevice, label: label, sizes: sizes) }
            }
        }

        let mounter = Mounter(runner: runner)
        let options = MountOptions.arguments(mountOptions, for: fsType, readOnly: readOnly)
        try mounter.mount(blockDevice, at: mountPoint, as: fsType, options: options)
        do throws(DeviceError) {
            try finish(plan, on: blockDevice)
            if plan == .finishFormat || plan.isFormat {
                // The next start decides ownership without replaying the journal (ext4) or log
                // (xfs), so the label and the marker must be at their home blocks before any
                // client writes: an unmount puts them there; a crash before it leaves a
                // pending format, which the next start finishes.
                try await mounter.unmount(mountPoint)
                try mounter.mount(blockDevice, at: mountPoint, as: fsType, options: options)
            }
        } catch {
            await undo("unmount") { () async throws(DeviceError) in try await mounter.unmount(mountPoint) }
            throw error
        }
        if let sizes, !readOnly { growOnline(blockDevice, label: label, sizes: sizes) }
        return ready(plan, device: blockDevice, label: label, loop: loop)
    }

    /// The writes after the mount. For a format the marker comes after the layout and the
    /// label goes last: until then the next start knows the format as unfinished.
    private func finish(_ plan: Plan, on blockDevice: String) throws(DeviceError) {
        let formatter = Formatter(runner: runner)
        switch plan {
        case .format, .finishFormat:
            try VolumeLayout.ensure(root: mountPoint)
            try VolumeMarker(volume: volume).write(toRoot: mountPoint)
            try formatter.setVolumeLabel(blockDevice, mountPoint: mountPoint, filesystem: fsType)
        case .own(let setLabel):
            guard !readOnly else {
                if setLabel { logger.notice("read-only share: the label \(Formatter.volumeLabel) is set on the next read-write start") }
                return
            }
            try VolumeLayout.ensure(root: mountPoint)
            if setLabel { try formatter.setVolumeLabel(blockDevice, mountPoint: mountPoint, filesystem: fsType) }
        case .adopt:
            // The root belongs to the data that was there: no marker, no folders.
            return
        }
    }

    private func ready(_ plan: Plan, device: String, label: String, loop: LoopAttachment?) -> PreparedVolume {
        let formatted = plan.isFormat || plan == .finishFormat
        var adopted = false
        var exportPath = VolumeLayout.exportPath(root: mountPoint)
        var recoveryRoot = VolumeLayout.recoveryRoot(root: mountPoint)
        if case .adopt(let recoveryDir) = plan {
            (adopted, exportPath, recoveryRoot) = (true, mountPoint, recoveryDir)
        }
        logger.notice("volume ready", metadata: [
            "device": "\(label)", "mountPoint": "\(mountPoint)", "filesystem": "\(fsType.rawValue)",
            "formatted": .stringConvertible(formatted), "adopted": .stringConvertible(adopted), "readOnly": .stringConvertible(readOnly),
        ])
        return PreparedVolume(
            devicePath: device, mountPoint: mountPoint, filesystem: fsType, formatted: formatted,
            exportPath: exportPath, recoveryRoot: recoveryRoot, loop: loop, adopted: adopted
        )
    }
}
