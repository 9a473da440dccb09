import LiveHTTP
@testable import ShareAPI
import SupervisorInterface
import Testing

/// One probe answer for one set of facts.
struct ProbeRow<Facts: Sendable>: Sendable, CustomTestStringConvertible {
    let name: String
    let facts: Facts
    let status: Int
    let body: String
    var testDescription: String { name }
}

/// A server with ShareAPI's probes in front of a fake supervisor, bound on port 0.
func withProbes<T: Sendable>(
    _ fake: FakeSupervisor, _ body: (LiveHTTP.Target) async throws -> T
) async throws -> T {
    let probes = Probes(supervisor: fake, metrics: ShareMetrics(volume: "vol", version: "0.0.0-test"))
    return try await withLiveServer(handler: probes.handle, body)
}

@Suite("probes over a live server: /healthz and /readyz for each phase and condition")
struct ProbeTests {
    static let full = FilesystemCondition.full(summary: "the volume is full (no blocks left)", resources: ["blocks"])

    static func serving(
        running: Bool = true, heartbeat: Duration? = .seconds(1), stuck: Duration? = nil, filesystem: FilesystemCondition = .healthy
    ) -> HealthFacts {
        HealthFacts(phase: .serving, ganeshaRunning: running, heartbeatAge: heartbeat, stuckWriteProbe: stuck, filesystem: filesystem)
    }

    static func phase(_ phase: Phase) -> HealthFacts {
        HealthFacts(phase: phase, ganeshaRunning: false, heartbeatAge: nil, stuckWriteProbe: nil, filesystem: .healthy)
    }

    static let healthRows: [ProbeRow<HealthFacts>] = [
        .init(name: "preparing the device", facts: phase(.preparingDevice), status: 200, body: "ok: preparing device\n"),
        .init(name: "starting Ganesha", facts: phase(.startingGanesha), status: 200, body: "ok: starting Ganesha\n"),
        .init(name: "restarting Ganesha (not running)", facts: phase(.restartingGanesha), status: 200, body: "ok: restarting Ganesha\n"),
        .init(name: "stopping", facts: phase(.stopping), status: 503, body: "stopping\n"),
        .init(name: "serving, Ganesha gone", facts: serving(running: false), status: 503, body: "Ganesha is not running\n"),
        .init(name: "serving, write probe stuck", facts: serving(stuck: .seconds(12)), status: 503,
              body: "filesystem write probe has not returned for 12 s\n"),
        .init(name: "serving, read-only", facts: serving(filesystem: .readOnly(reason: "I/O error")), status: 503,
              body: "filesystem not writable: I/O error\n"),
        .init(name: "serving, heartbeat 11 s old", facts: serving(heartbeat: .seconds(11)), status: 503, body: "no Ganesha heartbeat for 11 s\n"),
        .init(name: "serving, heartbeat exactly at the 10 s limit", facts: serving(heartbeat: .seconds(10)), status: 200, body: "ok\n"),
        .init(name: "serving, no heartbeat watched yet", facts: serving(heartbeat: nil), status: 200, body: "ok\n"),
        .init(name: "serving, full (still live)", facts: serving(filesystem: full), status: 200,
              body: "ok; the volume is full (no blocks left)\n"),
        .init(name: "serving, healthy", facts: serving(), status: 200, body: "ok\n"),
    ]

    @Test("/healthz", arguments: healthRows)
    func health(_ row: ProbeRow<HealthFacts>) async throws {
        let fake = FakeSupervisor()
        await fake.set(health: row.facts)
        let response = try await withProbes(fake) { try await LiveHTTP.request($0, "GET", "/healthz") }
        #expect(response.status == row.status)
        #expect(response.body == row.body)
        #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(response.header("Cache-Control") == "no-store")
    }

    static func ready(
        phase: Phase = .serving, offline: Bool = false, port: UInt16? = 2049, export: ExportCheck = .active,
        answers: Bool = true, filesystem: FilesystemCondition = .healthy
    ) -> ReadinessFacts {
        ReadinessFacts(phase: phase, exportOffline: offline, nfsPort: port, export: export, nfsAnswers: answers, filesystem: filesystem)
    }

    static let readinessRows: [ProbeRow<ReadinessFacts>] = [
        .init(name: "starting Ganesha", facts: ready(phase: .startingGanesha), status: 503, body: "not ready: starting Ganesha\n"),
        .init(name: "stopping", facts: ready(phase: .stopping), status: 503, body: "not ready: stopping\n"),
        .init(name: "taken offline", facts: ready(offline: true), status: 503,
              body: "not ready: the export was taken offline over the control API (POST /v1/export brings it back)\n"),
        .init(name: "NFS port unknown", facts: ready(port: nil), status: 503, body: "not ready: Ganesha's NFS port is not known yet\n"),
        .init(name: "export inactive", facts: ready(export: .inactive), status: 503, body: "not ready: the export is not active\n"),
        .init(name: "Ganesha did not answer", facts: ready(export: .unknown("timed out after 1 s")), status: 503,
              body: "not ready: timed out after 1 s\n"),
        .init(name: "active, NULL call unanswered", facts: ready(answers: false), status: 503,
              body: "not ready: NFS port 2049 does not answer an RPC NULL call\n"),
        .init(name: "active and full (still ready)", facts: ready(filesystem: full), status: 200,
              body: "ready; the volume is full (no blocks left)\n"),
        .init(name: "active and read-only (liveness's matter)", facts: ready(filesystem: .readOnly(reason: "I/O error")), status: 200,
              body: "ready\n"),
        .init(name: "active", facts: ready(), status: 200, body: "ready\n"),
    ]

    @Test("/readyz", arguments: readinessRows)
    func readiness(_ row: ProbeRow<ReadinessFacts>) async throws {
        let fake = FakeSupervisor()
        await fake.set(readiness: row.facts)
        let response = try await withProbes(fake) { try await LiveHTTP.request($0, "GET", "/readyz") }
        #expect(response.status == row.status)
        #expect(response.body == row.body)
    }

    @Test("HEAD answers without a body, other methods 405 with Allow, unknown paths 404, queries ignored")
    func methodsAndPaths() async throws {
        try await withProbes(FakeSupervisor()) { target in
            let head = try await LiveHTTP.request(target, "HEAD", "/healthz")
            #expect(head.status == 200 && head.body.isEmpty && head.header("Content-Length") == "3")
            let post = try await LiveHTTP.request(target, "POST", "/healthz")
            #expect(post.status == 405 && post.header("Allow") == "GET, HEAD" && post.body == "only GET\n")
            let unknown = try await LiveHTTP.request(target, "GET", "/status")
            #expect(unknown.status == 404 && unknown.body == "not found: try /healthz, /readyz or /metrics\n")
            let query = try await LiveHTTP.request(target, "GET", "/readyz?verbose=1")
            #expect(query.status == 200 && query.body == "ready\n")
        }
    }
}
