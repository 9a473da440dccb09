import HTTPServing
import NIOHTTP1
import SupervisorInterface

/// /healthz, /readyz and /metrics, answered from the supervisor's facts.
///
/// Liveness stays 200 while share-manager makes progress (a long device preparation must not
/// get the Pod killed); readiness is 200 only when Ganesha says the export is active.
public struct Probes: Sendable {
    let supervisor: any ShareSupervising
    let metrics: ShareMetrics

    public init(supervisor: any ShareSupervising, metrics: ShareMetrics) {
        self.supervisor = supervisor
        self.metrics = metrics
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        guard request.method == .GET || request.method == .HEAD else {
            return HTTPResponse(status: .methodNotAllowed, body: "only GET\n", headers: [("Allow", "GET, HEAD")])
        }
        switch request.path {
        case "/healthz": return Self.health(await supervisor.healthFacts())
        case "/readyz": return Self.readiness(await supervisor.readinessFacts())
        case "/metrics":
            metrics.apply(await supervisor.metricsSample())
            return HTTPResponse(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: metrics.render())
        default:
            return HTTPResponse(status: .notFound, body: "not found: try /healthz, /readyz or /metrics\n")
        }
    }

    static func health(_ facts: HealthFacts) -> HTTPResponse {
        if let failure = facts.failure {
            return HTTPResponse(status: .serviceUnavailable, body: failure + "\n")
        }
        guard facts.phase == .serving else { return HTTPResponse(status: .ok, body: "ok: \(facts.phase.rawValue)\n") }
        if case .full(let summary, _) = facts.filesystem { return HTTPResponse(status: .ok, body: "ok; \(summary)\n") }
        return HTTPResponse(status: .ok, body: "ok\n")
    }

    static func readiness(_ facts: ReadinessFacts) -> HTTPResponse {
        guard facts.phase == .serving else {
            return HTTPResponse(status: .serviceUnavailable, body: "not ready: \(facts.phase.rawValue)\n")
        }
        if facts.exportOffline {
            return HTTPResponse(status: .serviceUnavailable, body: "not ready: the export was taken offline over the control API (POST /v1/export brings it back)\n")
        }
        guard let nfsPort = facts.nfsPort else {
            return HTTPResponse(status: .serviceUnavailable, body: "not ready: Ganesha's NFS port is not known yet\n")
        }
        switch facts.export {
        case .active:
            // The export exists; now the data path must answer too. Grace does not matter:
            // clients must reach the server to reclaim.
            guard facts.nfsAnswers else {
                return HTTPResponse(status: .serviceUnavailable, body: "not ready: NFS port \(nfsPort) does not answer an RPC NULL call\n")
            }
            // Still ready when full: reads and deletes (the cure) go through this endpoint too.
            if case .full(let summary, _) = facts.filesystem { return HTTPResponse(status: .ok, body: "ready; \(summary)\n") }
            return HTTPResponse(status: .ok, body: "ready\n")
        case .inactive:
            return HTTPResponse(status: .serviceUnavailable, body: "not ready: the export is not active\n")
        case .unknown(let why):
            return HTTPResponse(status: .serviceUnavailable, body: "not ready: \(why)\n")
        }
    }
}
