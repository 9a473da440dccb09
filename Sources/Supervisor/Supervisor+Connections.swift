import ChildProcesses
import LinuxSupport

extension Supervisor {
    /// How often new client connections are taken up, and ours of closed ones dropped: a
    /// connection Ganesha closes reaches its client only once we closed ours too, and one
    /// made since the last sync is not kept (its client meets the port hold instead).
    static let connectionSync: Duration = .milliseconds(500)

    /// Follows the Ganesha that now listens on `port`, releasing what was kept of the one
    /// before: its clients reconnect at once, to this one.
    func keepConnections(of pid: Int32, port: UInt16) async {
        guard options.keepConnections, keepingFailure == nil else { return keeper.release() }
        do throws(SystemCallError) {
            try keeper.watch(pid: pid, port: port)
        } catch {
            keeper.release()
            return stopKeeping("\(error)")
        }
        await syncConnections()
    }

    /// Runs while serving, with `--keep-connections true`.
    func followConnections() async {
        while !Task.isCancelled, keepingFailure == nil {
            await syncConnections()
            // Cancelled when serving ends; the loop condition sees it.
            try? await Task.sleep(for: Self.connectionSync)
        }
    }

    private func syncConnections() async {
        let result = await offCooperativePool { [keeper] () -> SystemCallError? in
            do throws(SystemCallError) { try keeper.sync() } catch { return error }
            return nil
        }
        if let result { stopKeeping("\(result)") }
    }

    private func stopKeeping(_ why: String) {
        guard keepingFailure == nil else { return }
        keepingFailure = why
        keeper.release()
        logger.warning("cannot keep NFS client connections open across a Ganesha restart (\(why)); clients reconnect 1 s after a restart instead. It needs the ptrace rights of a parent (Yama ptrace_scope 0 or 1, or CAP_SYS_PTRACE) and pidfd_getfd in the seccomp profile (kernel 5.6 or later); --keep-connections false turns this off")
    }
}
