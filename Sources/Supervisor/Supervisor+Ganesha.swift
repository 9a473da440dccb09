import ChildProcesses
import DBusKit
import FoundationEssentials
import Glibc
import GaneshaConfig
import LinuxSupport
import GaneshaControl
import Recovery
import SupervisorInterface
import Synchronization

extension Supervisor {
    /// How long the port is held at least before Ganesha starts again. Released at once, a
    /// client that reconnects in Ganesha's own 10-45 ms from exec to bind is refused (3 s);
    /// held 300 ms, nearly every client meets the hold and comes back at its 1 s retransmit,
    /// by which time Ganesha listens (docs/kernel-client.md has both measured).
    static let portHoldMinimum: Duration = .milliseconds(300)

    /// Starts Ganesha on the bus at `busAddress` and waits until it owns its bus name and
    /// accepts NFS connections. Every start, not only the first: merges records a crash during
    /// grace left twice, takes a later epoch, renders the files again.
    func startGanesha(busAddress: String) async throws(StartupError) {
        // Absent is the usual case; a stale one would only mislead an operator.
        try? FileManager.default.removeItem(atPath: layout.ganeshaPidFile)
        let store = settings.map { RecoveryStore(root: $0.recoveryRoot.value, logger: logger) }
        _ = store?.mergeInterruptedGrace()
        let epoch = epochs.next(now: UInt32(clamping: time(nil)), recorded: store?.lastGaneshaEpoch())
        store?.recordGaneshaEpoch(epoch)
        try renderGaneshaFiles()
        grace.expect(epoch: epoch)
        // A listener of ours on the port excludes Ganesha's bind. Disarmed until this Ganesha
        // serves: a hold taken when it dies during its start would stall our own readiness
        // connect to the port (a dropped SYN), and no client is back yet to gain from it.
        // With connections kept, the clients that would meet the hold are only those that
        // connected since the last sync: none need the wait.
        await portHold.release(after: keeper.count > 0 ? .zero : Self.portHoldMinimum)
        portHold.disarm()
        let started: SupervisedProcess
        do {
            started = try await SupervisedProcess.start(
                name: "ganesha", executable: Executables.find("ganesha.nfsd"),
                arguments: ["-F", "-f", layout.ganeshaConfig, "-L", "/dev/stdout", "-p", layout.ganeshaPidFile,
                            "-E", String(epoch)],
                environment: ChildEnvironment.make(["DBUS_SYSTEM_BUS_ADDRESS": busAddress]), logger: logger,
                onLine: { [grace, recordFailures] in
                    guard let line = GaneshaLogLine($0) else { return ChildLine() }
                    grace.observe(line)
                    recordFailures.observe(line, recoveryRoot: grace.watchedRoot)
                    return GaneshaLogLevels.relayed(line)
                }
            )
        } catch {
            throw .ganeshaDidNotStart("\(error)")
        }
        ganesha = started
        started.onExit { [sink, portHold, keeper, logger, pid = started.pid] in
            // At once, from the reaping thread: clients reconnect within tens of milliseconds.
            keeper.serverDied()
            if case .failure(let error) = portHold.engage() {
                logger.warning("cannot hold the NFS port while Ganesha restarts: \(error); clients that reconnect meanwhile are refused and back off 3 s")
            }
            sink.yield(.ganeshaExited(pid: pid, how: "\($0)"))
        }

        // The bus outlives a Ganesha restart, and so does our connection to it.
        let client: GaneshaClient
        if let existing = self.client {
            client = existing
        } else {
            do {
                let connection = try await DBusConnection.connect(address: busAddress, timeout: .seconds(5))
                self.connection = connection
                client = GaneshaClient(connection: connection, callTimeout: .seconds(5))
                self.client = client
            } catch {
                throw .busDidNotStart("cannot connect to \(busAddress): \(error)")
            }
        }
        let port: UInt16
        do throws(StartupError) {
            port = try await awaitGaneshaReady(started, client: client)
        } catch {
            if case .ganeshaExitedAtStart = error { releasePortIfTaken() }
            throw error
        }
        logger.info("Ganesha started", metadata: ["pid": .stringConvertible(started.pid), "port": .stringConvertible(port)])
        await keepConnections(of: started.pid, port: port)
        publishEndpoint(port: port, pid: started.pid)
    }

    /// Ganesha keeps running without D-Bus when it cannot own its name, so both the name and
    /// the NFS port must answer before it counts as started. It owns the name well before it
    /// listens: the cheap TCP connect goes first, the bus round trip only then.
    private nonisolated func awaitGaneshaReady(_ ganesha: SupervisedProcess, client: GaneshaClient) async throws(StartupError) -> UInt16 {
        let configured = options.ganesha.nfsPort
        let host = options.probeHost
        let pid = ganesha.pid
        // With --nfs-port 0 the port is Ganesha's choice, read from its listening socket.
        let boundPort = { @Sendable () -> UInt16? in
            configured != 0 ? configured : ListeningSockets.tcp(pid: pid).first?.port
        }
        // The port that answered: read again later, a port Ganesha picked may be between
        // listeners for a moment (seen once beside the whole suite).
        let answered = Mutex<UInt16?>(nil)
        let ready = await Readiness.poll(timeout: .seconds(30), interval: .milliseconds(2)) {
            guard ganesha.isRunning, !stopAsked else { return true }
            guard let port = boundPort(), await Readiness.acceptingTCP(host: host, port: port) else { return false }
            // Not yet registered and no answer both mean "not ready yet" (the bound says when to give up).
            guard (try? await client.isRegistered()) == true else { return false }
            answered.withLock { $0 = port }
            return true
        }
        if stopAsked { throw .stopped }
        // Its own log lines, not the stack backtrace Ganesha 6 prints after a FATAL one.
        if let report = await ganesha.exitReport(relevant: { GaneshaLogLine($0).map { $0.function != "gsh_backtrace" } ?? false }) {
            throw .ganeshaExitedAtStart(report)
        }
        guard ready, let port = answered.withLock({ $0 }) else {
            throw .ganeshaDidNotStart("it did not own org.ganesha.nfsd and accept NFS connections on \(host):\(configured) within 30 s")
        }
        return port
    }

    /// A Ganesha that exited during its start keeps its picked port for the next one, which is
    /// where the clients reconnect: only when another socket holds that port now (Ganesha's
    /// bind would fail again) does the next Ganesha pick a new one. A kill during the
    /// readiness wait, while clients already reclaim, is no reason to move them.
    private func releasePortIfTaken() {
        guard options.ganesha.nfsPort == 0, let pinned = endpoint?.port,
              streamBindError(host: options.ganesha.nfsAddress.value, port: pinned) == .addressInUse
        else { return }
        logger.warning("another process holds NFS port \(pinned); the next Ganesha picks a new port, and clients must follow endpoint.json", metadata: ["file": "\(layout.endpointFile)"])
        endpoint = nil
    }

    /// Logs the endpoint and writes `endpoint.json` for a manager that points the Service here.
    private func publishEndpoint(port: UInt16, pid: Int32) {
        let now = NFSEndpoint(volume: options.volume.value, address: options.ganesha.nfsAddress.value, port: port, pid: pid)
        let changed = endpoint.map { $0.port != port || $0.address != now.address } ?? true
        endpoint = now
        portHold.arm(host: now.address, port: port, reachHost: options.probeHost)
        do {
            try EndpointFile(path: layout.endpointFile).write(now)
        } catch {
            logger.error("cannot write \(layout.endpointFile): \(error); a manager reading it sees the old endpoint")
        }
        if changed {
            logger.notice("NFS endpoint", metadata: ["address": "\(now.address)", "port": .stringConvertible(port), "file": "\(layout.endpointFile)"])
        }
    }
}
