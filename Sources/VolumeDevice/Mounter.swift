import FoundationEssentials
import Glibc
import Logging

/// mount and umount, with the retries an unmount needs right after a process let go.
struct Mounter: Sendable {
    let runner: ToolRunner

    func mount(_ device: String, at mountPoint: String, as filesystem: FilesystemType, options: [String]) throws(DeviceError) {
        try runner.check("mount", ["-t", filesystem.rawValue] + options + [device, mountPoint])
        runner.logger.info("mounted", metadata: [
            "device": "\(device)", "mountPoint": "\(mountPoint)", "options": "\(options.joined(separator: " "))",
        ])
    }

    /// Unmounts, retrying with a growing pause while the kernel says "target is busy"
    /// (a just-exited Ganesha or a shell in the folder lets go within moments).
    func unmount(_ mountPoint: String, attempts: Int = 5) async throws(DeviceError) {
        var pause = Duration.milliseconds(100)
        for attempt in 1...attempts {
            let result = try runner.run("umount", [mountPoint])
            if result.status == 0 {
                runner.logger.info("unmounted", metadata: ["mountPoint": "\(mountPoint)"])
                return
            }
            guard result.stderr.contains("busy") else {
                throw .toolFailed(command: "umount \(mountPoint)", status: result.status, detail: result.summary)
            }
            if attempt == attempts { throw .unmountBusy(mountPoint: mountPoint, detail: result.summary) }
            runner.logger.warning("mount point busy, retrying unmount", metadata: [
                "mountPoint": "\(mountPoint)", "attempt": "\(attempt)",
            ])
            // Cleanup must finish even when the task is cancelled, so a cancelled sleep is ignored.
            try? await Task.sleep(for: pause)
            pause *= 2
        }
    }
}
