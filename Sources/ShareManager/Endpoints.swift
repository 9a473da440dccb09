import Glibc
import GaneshaConfig
import GaneshaControl
import HTTPServing
import NIOHTTP1

/// /healthz, /readyz and /metrics.
///
/// Liveness stays 200 while share-manager makes progress (a long device preparation must not
/// get the Pod killed); readiness is 200 only when Ganesha says the export is active.
struct Endpoints: Sendable {
    let state: RuntimeState
    let metrics: ShareMetrics
    /// Where the readiness probe's RPC NULL call goes.
    let nfsHost: String
    static let heartbeatLimit: Duration = .seconds(10)

    func handle(_ request: HTTPRequest) async -> HTTPResponse {
        guard request.method == .GET || request.method == .HEAD else {
            return HTTPResponse(status: .methodNotAllowed, body: "only GET\n", headers: [("Allow", "GET, HEAD")])
        }
        switch request.path {
        case "/healthz": return await health()
        case "/readyz": return await readiness()
        case "/metrics":
            _ = await exportCount()
            if let endpoint = await state.endpoint { metrics.recordEndpoint(endpoint) }
            await updateFilesystemMetrics()
            await updateGraceMetrics()
            let (_, ganesha, client) = await state.snapshot()
            await metrics.statistics.collect(
                client: ganesha?.isRunning == true ? client : nil, ganeshaPid: ganesha?.pid, timeout: .seconds(2)
            )
            return HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.render())
        default:
            return HTTPResponse(status: .notFound, body: "not found: try /healthz, /readyz or /metrics\n")
        }
    }

    private func health() async -> HTTPResponse {
        let (phase, ganesha, _) = await state.snapshot()
        switch phase {
        case .preparingDevice, .startingGanesha, .restartingGanesha:
            // Progress, not a hang: a liveness kill now would only make the outage longer.
            return HTTPResponse(status: .ok, body: "ok: \(phase.rawValue)\n")
        case .stopping:
            return HTTPResponse(status: .serviceUnavailable, body: "stopping\n")
        case .serving:
            guard let ganesha, ganesha.isRunning else {
                metrics.ganeshaUp.set(Double(0))
                return HTTPResponse(status: .serviceUnavailable, body: "Ganesha is not running\n")
            }
            if let stuck = await state.stuckProbe(limit: .seconds(10)) {
                return HTTPResponse(status: .serviceUnavailable, body: "filesystem write probe has not returned for \(stuck.components.seconds) s\n")
            }
            if case .readOnly(let reason) = await state.filesystemHealth {
                return HTTPResponse(status: .serviceUnavailable, body: "filesystem not writable: \(reason)\n")
            }
            // Ganesha beats only while healthy, and a hung or stopped Ganesha stops beating:
            // cheaper and more telling than a D-Bus call that would itself hang.
            if let age = await state.heartbeatAge(), age > Self.heartbeatLimit {
                metrics.ganeshaUp.set(Double(0))
                return HTTPResponse(status: .serviceUnavailable, body: "no Ganesha heartbeat for \(age.components.seconds) s\n")
            }
            metrics.ganeshaUp.set(Double(1))
            // A full volume stays live: a restart frees nothing and starts a grace period.
            if case .full(let full) = await state.filesystemHealth { return HTTPResponse(status: .ok, body: "ok; \(full)\n") }
            return HTTPResponse(status: .ok, body: "ok\n")
        }
    }

    private func readiness() async -> HTTPResponse {
        let phase = await state.phase
        guard phase == .serving else {
            return HTTPResponse(status: .serviceUnavailable, body: "not ready: \(phase.rawValue)\n")
        }
        if await state.exportOffline {
            return HTTPResponse(status: .serviceUnavailable, body: "not ready: the export was taken offline over the control API (POST /v1/export brings it back)\n")
        }
        guard let nfsPort = await state.endpoint?.port else {
            return HTTPResponse(status: .serviceUnavailable, body: "not ready: Ganesha's NFS port is not known yet\n")
        }
        switch await exportCount() {
        case .success(let active) where active > 0:
            // The export exists; now the data path must answer too. Grace does not matter:
            // clients must reach the server to reclaim.
            guard await NFSNullProbe.answers(host: nfsHost, port: nfsPort) else {
                return HTTPResponse(status: .serviceUnavailable, body: "not ready: NFS port \(nfsPort) does not answer an RPC NULL call\n")
            }
            // Still ready when full: reads and deletes (the cure) go through this endpoint too.
            if case .full(let full) = await state.filesystemHealth { return HTTPResponse(status: .ok, body: "ready; \(full)\n") }
            return HTTPResponse(status: .ok, body: "ready\n")
        case .success:
            return HTTPResponse(status: .serviceUnavailable, body: "not ready: the export is not active\n")
        case .failure(let error):
            return HTTPResponse(status: .serviceUnavailable, body: "not ready: \(error)\n")
        }
    }

    private func updateGraceMetrics() async {
        let grace = state.grace.current
        metrics.graceActive.set(Double(grace.active ? 1 : 0))
        metrics.graceRemaining.set(Double(grace.remaining.components.seconds))
        metrics.recoveryClients.set(Double(grace.recordedClients))
        metrics.reclaimedClients.set(Double(grace.reclaimedClients))
        metrics.setRestarts(await state.ganeshaRestarts)
        metrics.setRecordWriteFailures(state.recordFailures.count)
        if let age = await state.heartbeatAge() {
            metrics.heartbeatAge.set(Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18)
        }
    }

    private func updateFilesystemMetrics() async {
        if let domain = await state.idmapDomain { metrics.recordIdmapDomain(domain) }
        guard let volume = await state.volume else { return }
        let health = await state.filesystemHealth
        metrics.recordHealth(health)
        var stats = statvfs()
        guard statvfs(volume.mountPoint, &stats) == 0 else { return }
        metrics.filesystemSize.set(Double(UInt64(stats.f_blocks) * UInt64(stats.f_frsize)))
        metrics.filesystemAvail.set(Double(UInt64(stats.f_bavail) * UInt64(stats.f_frsize)))
        metrics.filesystemFiles.set(Double(stats.f_files))
        metrics.filesystemFilesFree.set(Double(stats.f_ffree))
    }

    /// Asks Ganesha which exports are active and updates the gauges on the way.
    private func exportCount() async -> Result<Int, GaneshaError> {
        let (_, ganesha, client) = await state.snapshot()
        guard let ganesha, ganesha.isRunning, let client else {
            metrics.ganeshaUp.set(Double(0))
            metrics.exports.set(Double(0))
            return .failure(.notRegistered)
        }
        // Probes and scrapes must answer even when Ganesha hangs: a short bound of their own.
        let quick = GaneshaClient(connection: client.connection, busName: client.busName, callTimeout: .seconds(1))
        do {
            let exports = try await quick.showExports()
            let ours = exports.filter { $0.id == GaneshaSettings.exportID }.count
            metrics.ganeshaUp.set(Double(1))
            metrics.exports.set(Double(exports.filter { $0.id != 0 }.count))
            return .success(ours)
        } catch {
            metrics.ganeshaUp.set(Double(0))
            return .failure(error)
        }
    }
}
