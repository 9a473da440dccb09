import LinuxSupport
import Glibc
import ChildProcesses
import VolumeDevice

extension Supervisor {
    /// Forces what the orderly stop did not finish: SIGKILL for Ganesha and the bus, a lazy
    /// unmount and the loop detach. Every wait is bounded, and one error line says exactly
    /// what was skipped, so the operator knows what the next start has to make up for.
    func escalate(cause: String) async {
        abandoned = true
        var forced: [String] = []
        if let ganesha, ganesha.isRunning {
            ganesha.send(SIGKILL)
            // A process stuck in the kernel (I/O on a dead device) dies only when that returns.
            if await ganesha.waitForExit(timeout: .seconds(2)) == nil {
                forced.append("Ganesha sent SIGKILL but still not gone (pid \(ganesha.pid), stuck in the kernel?)")
            } else {
                forced.append("Ganesha killed (clients reclaim after the grace period)")
            }
        }
        if let bus, bus.isRunning {
            bus.send(SIGKILL)
            _ = await bus.waitForExit(timeout: .seconds(1))
            forced.append("D-Bus daemon killed")
        }
        connection?.close()
        if let volume {
            forced += await abandonVolume(volume)
        }
        let what = forced.isEmpty ? "nothing was left to force" : forced.joined(separator: ", ")
        logger.error("shutdown escalated \(cause): \(what)")
    }

    /// The lazy unmount and the loop detach, on a thread of their own with a bound: the
    /// orderly unmount may still block the device executor.
    private func abandonVolume(_ volume: PreparedVolume) async -> [String] {
        let logger = self.logger
        guard let result = await Deadline.blocking(within: .seconds(3), threadName: "sm-bounded", { VolumePreparer.abandon(volume, logger: logger) }) else {
            return ["umount -l \(volume.mountPoint) did not return within 3 s; check whether it is still mounted"]
        }
        var forced: [String] = []
        if result.lazilyUnmounted {
            let check = volume.filesystem == .xfs ? "log replayed at the next mount" : "fsck at next start"
            forced.append("volume lazily unmounted; \(check)")
        }
        if let loop = volume.attachedLoop, !result.loopDetached {
            forced.append("loop device \(loop) left attached (losetup -d it once nothing uses it)")
        }
        forced += result.problems.map { "release failed: \($0)" }
        return forced
    }
}
