import Foundation
import Testing
import TestSupport

/// The private dbus-daemon dies: Ganesha goes with it (its libdbus connection ends the
/// process), and share-manager brings back the bus, then Ganesha, then the export.
@Suite("losing the D-Bus daemon", .serialized, .timeLimit(.minutes(5)))
struct BusLossTests {
    @Test("private bus SIGKILLed: a new bus and Ganesha come up, probes recover, the client reclaims", .realParts(), arguments: [false, true])
    func privateBusKilled(ganeshaHangs: Bool) async throws {
        try await withImage(prefix: "sm-bus1") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-bus1", dir: dir, image: image)
            sm.gracePeriod = 60
            sm.leaseLifetime = 20
            let server = try await ShutdownRig.startServed(sm, name: "server")
            try await stoppingAfterwards(server) {
                let holder = try ReclaimClient.start("hold", sm, name: "client-a", ReclaimTests.holdArguments)
                try await stoppingAfterwards(holder.process) {
                    try #require(await holder.wait(for: "holding", timeout: .seconds(30)) != nil, "\(holder.events)")
                    try await busDies(sm, server, ganeshaHangs: ganeshaHangs)
                    let reclaimed = try #require(await holder.wait(for: "reclaimed", timeout: .seconds(60)), "\(holder.events)")
                    #expect(reclaimed["open"] as? String == "NFS4_OK", "\(holder.events)")
                    #expect(reclaimed["lock"] as? String == "NFS4_OK", "\(holder.events)")
                    #expect(await holder.wait(for: "data-intact", timeout: .seconds(30))?["ok"] as? Bool == true, "\(holder.events)")
                }
                // The tear-down works on the new bus too.
                server.signal(SIGTERM)
                #expect(await server.wait(timeout: .seconds(20)) == 0, "\(server.output)")
            }
            #expect(!SystemState.isMounted(sm.mountPoint))
        }
    }

    /// Kills the bus (after SIGSTOPping Ganesha, when it is to outlive it) and checks the
    /// way back: old processes gone, new ones up, /readyz and the heartbeat-based /healthz.
    private func busDies(_ sm: ShareManagerUnderTest, _ server: ChildProcess, ganeshaHangs: Bool) async throws {
        let oldBus = try sm.busPid()
        let oldGanesha = try sm.ganeshaPid()
        let restartsBefore = await sm.metric("share_manager_ganesha_restarts_total") ?? 0
        if ganeshaHangs { try await ProcessTable.stop(oldGanesha) }
        let killed = ContinuousClock.now
        kill(oldBus, SIGKILL)
        #expect(await ShutdownRig.eventually(within: .seconds(15)) { ProcessTable.isGone(oldGanesha) }, "Ganesha outlived its bus")
        let back = await ShutdownRig.eventually(within: .seconds(30)) {
            guard let bus = try? sm.busPid(), bus != oldBus, let ganesha = try? sm.ganeshaPid(), ganesha != oldGanesha else { return false }
            return await sm.get("/readyz").status == 200
        }
        print("bus SIGKILLed (Ganesha hangs: \(ganeshaHangs)): ready again after \(ContinuousClock.now - killed)")
        try #require(back, "not ready again within 30 s:\n\(server.output)")
        #expect(!ProcessTable.isGone(try sm.busPid()))
        #expect((await sm.metric("share_manager_ganesha_restarts_total") ?? 0) > restartsBefore)
        if ganeshaHangs {
            #expect(server.output.contains("after its bus went away"), "\(server.output)")
        }
        // Beats on the new bus: the age, computed at each scrape, only goes down when a beat
        // arrives or the watch restarts (once, with the restart); twice down is a beat.
        var last = await sm.metric("share_manager_heartbeat_age_seconds") ?? .infinity
        var drops = 0
        let beating = await SocketProbe.waitUntil(timeout: .seconds(15)) {
            let age = await sm.metric("share_manager_heartbeat_age_seconds") ?? .infinity
            if age < last { drops += 1 }
            last = age
            return drops >= 2
        }
        let age = await sm.metric("share_manager_heartbeat_age_seconds")
        #expect(beating, "no heartbeat on the new bus: age \(String(describing: age))")
        #expect(await sm.waitFor("/healthz", status: 200, timeout: .seconds(15)))
    }

    @Test("a bus share-manager did not start (DBUS_SYSTEM_BUS_ADDRESS) goes away: it says it cannot restart it and exits 1", .realParts())
    func givenBusLost() async throws {
        try await withImage(prefix: "sm-bus2") { dir, image in
            let sm = try ShareManagerUnderTest(volume: "vol-bus2", dir: dir, image: image)
            let bus = try await PrivateBus.start()
            var environment = ProcessInfo.processInfo.environment
            environment["DBUS_SYSTEM_BUS_ADDRESS"] = bus.address
            let server = try ChildProcess(sm.arguments, environment: environment, logDirectory: dir.path, name: "server")
            do {
                try await stoppingAfterwards(server) {
                    try #require(await sm.waitUntilReady(server), "never ready:\n\(server.output)")
                    #expect(server.output.contains("using the D-Bus system bus at \(bus.address)"))
                    #expect(!FileManager.default.fileExists(atPath: sm.stateDir + "/dbus.pid"), "no daemon of ours, so no pid file")
                    await bus.kill()
                    let status = await server.wait(timeout: .seconds(60))
                    #expect(status == 1, "\(server.output)")
                    #expect(server.output.contains("cannot restart it"), "\(server.output)")
                }
            } catch {
                await bus.stop()
                throw error
            }
            await bus.stop()
            #expect(!SystemState.isMounted(sm.mountPoint))
            // The detach completes in the kernel's deferred work after the last close.
            let deadline = ContinuousClock.now + .seconds(15)
            while !SystemState.loopDevices(backing: image).isEmpty && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(SystemState.loopDevices(backing: image).isEmpty)
        }
    }
}
