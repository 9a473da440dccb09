import Foundation
import LiveHTTP
import Logging
@testable import ShareAPI
import SupervisorInterface
import Testing
import TestSupport

/// The control API in front of a fake supervisor: on TCP port 0 with a token, or on a unix
/// socket without one (its mode is the check), as the composition root binds it.
func withControl<T: Sendable>(
    _ fake: FakeSupervisor, token: String? = ControlRouteTests.token, _ body: (LiveHTTP.Target) async throws -> T
) async throws -> T {
    let api = ControlAPI(supervisor: fake, token: token.map { Array($0.utf8) }, logger: Logger(label: "control-test"))
    return try await withLiveServer(handler: api.handle, body)
}

@Suite("control API over a live server: token, methods, bodies, ControlError → status, JSON shape")
struct ControlRouteTests {
    static let token = "0123456789abcdef0123"
    static let auth = "Authorization: Bearer \(token)"

    @Test("TCP needs the bearer token: without or wrong, 401 and nothing is done")
    func token() async throws {
        let fake = FakeSupervisor()
        try await withControl(fake) { target in
            for headers in [[], ["Authorization: Bearer wrong-token-of-20ch"], ["Authorization: bearer \(Self.token)"]] {
                let refused = try await LiveHTTP.request(target, "POST", "/v1/trim", headers: headers)
                #expect(refused.status == 401 && refused.header("WWW-Authenticate") == "Bearer")
                #expect(refused.body == "{\n  \"error\" : \"missing or wrong bearer token\"\n}\n")
            }
            #expect(await fake.calls.isEmpty)
            let done = try await LiveHTTP.request(target, "POST", "/v1/trim", headers: [Self.auth])
            #expect(done.status == 200 && done.header("Content-Type") == "application/json")
            #expect(await fake.calls == ["trim"])
        }
    }

    @Test("the unix socket takes no token, and its mode is 0600")
    func unixSocket() async throws {
        let dir = try TemporaryDirectory(prefix: "sm-api")
        defer { dir.remove() }
        let socket = dir.file("control.sock")
        let api = ControlAPI(supervisor: FakeSupervisor(), token: nil, logger: Logger(label: "control-test"))
        try await withLiveServer(unixSocket: socket, handler: api.handle) { target in
            var info = stat()
            #expect(stat(socket, &info) == 0 && info.st_mode & 0o777 == 0o600)
            let status = try await LiveHTTP.request(target, "GET", "/v1/status")
            #expect(status.status == 200)
        }
    }

    static let routes: [(method: String, path: String, call: String)] = [
        ("POST", "/v1/resize", "grow"), ("POST", "/v1/trim", "trim"), ("POST", "/v1/unexport", "unexport"),
        ("POST", "/v1/export", "export"),
    ]

    @Test("each changing route reaches its supervisor call once; an empty body or {} is accepted, any other body is 400")
    func changingRoutes() async throws {
        let fake = FakeSupervisor()
        try await withControl(fake) { target in
            for route in Self.routes {
                #expect(try await LiveHTTP.request(target, route.method, route.path, headers: [Self.auth]).status == 200)
                let braces = try await LiveHTTP.request(target, route.method, route.path, headers: [Self.auth], body: Array(" { } ".utf8))
                #expect(braces.status == 200)
                let body = try await LiveHTTP.request(target, route.method, route.path, headers: [Self.auth], body: Array(#"{"x":1}"#.utf8))
                #expect(body.status == 400 && body.body.contains("takes no body"))
            }
            #expect(await fake.calls == Self.routes.flatMap { [$0.call, $0.call] })
        }
    }

    @Test("wrong methods are 405 with Allow, unknown paths 404, all as JSON")
    func methodsAndPaths() async throws {
        try await withControl(FakeSupervisor()) { target in
            let delete = try await LiveHTTP.request(target, "DELETE", "/v1/status", headers: [Self.auth])
            #expect(delete.status == 405 && delete.header("Allow") == "GET")
            let get = try await LiveHTTP.request(target, "GET", "/v1/resize", headers: [Self.auth])
            #expect(get.status == 405 && get.header("Allow") == "POST")
            #expect(get.body.contains(#""error" : "\/v1\/resize takes POST""#) || get.body.contains(#""error" : "/v1/resize takes POST""#))
            for path in ["/v1/nope", "/v1/../v1/unexport", "/healthz"] {
                let unknown = try await LiveHTTP.request(target, "GET", path, headers: [Self.auth])
                #expect(unknown.status == 404 && unknown.header("Content-Type") == "application/json", "\(path)")
            }
        }
    }

    static let failures: [(ControlError, Int)] = [
        (.notReady("the volume is not mounted yet"), 409), (.conflict("a grow is already running"), 409),
        (.badValue("shareManager: \"loud\" is not a level"), 400), (.ganesha("timed out"), 502), (.failed("fstrim failed"), 500),
    ]

    @Test("each ControlError has its status, and its description is the JSON error", arguments: failures)
    func errorStatus(_ error: ControlError, _ status: Int) async throws {
        let fake = FakeSupervisor()
        await fake.set(failure: error)
        let response = try await withControl(fake) { try await LiveHTTP.request($0, "POST", "/v1/resize", headers: [Self.auth]) }
        #expect(response.status == status)
        let decoded = try JSONDecoder().decode(ControlMessage.Failure.self, from: Data(response.body.utf8))
        #expect(decoded.error == error.description)
    }

    @Test("log-level: the decoded body reaches the supervisor; strict JSON refuses the rest with 400 before it")
    func logLevel() async throws {
        let fake = FakeSupervisor()
        try await withControl(fake) { target in
            let ok = try await LiveHTTP.request(
                target, "POST", "/v1/log-level", headers: [Self.auth], body: Array(#"{"ganesha":"DEBUG","component":"COMPONENT_EXPORT"}"#.utf8))
            #expect(ok.status == 200)
            for bad in [#"{"ganesha":"DEBUG","ganesha":"NULL"}"#, #"{"rm":"-rf"}"#, "[]", #"{"ganesha":7}"#, ""] {
                let refused = try await LiveHTTP.request(target, "POST", "/v1/log-level", headers: [Self.auth], body: Array(bad.utf8))
                #expect(refused.status == 400, "\(bad)")
            }
            let levels = await fake.logLevels
            #expect(levels.count == 1 && levels.first?.ganesha == "DEBUG" && levels.first?.component == "COMPONENT_EXPORT")
            #expect(levels.first?.shareManager == nil)
        }
    }

    @Test("JSON shape: sorted keys, pretty, slashes unescaped, the contract's field names")
    func jsonShape() async throws {
        try await withControl(FakeSupervisor()) { target in
            let status = try await LiveHTTP.request(target, "GET", "/v1/status", headers: [Self.auth]).body
            #expect(status.hasPrefix("{\n  \"endpoint\" : {"))
            #expect(status.contains(#""pseudo" : "/vol""#))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(status.utf8)) as? [String: Any])
            #expect(Set(object.keys) == ["endpoint", "export", "ganesha", "grace", "phase", "version", "volume"])
            let resize = try await LiveHTTP.request(target, "POST", "/v1/resize", headers: [Self.auth]).body
            let grown = try JSONDecoder().decode(ControlMessage.Resize.self, from: Data(resize.utf8))
            #expect(grown.outcome == "grown" && grown.fromBytes == 1024 && grown.toBytes == 2048)
            let clients = try await LiveHTTP.request(target, "GET", "/v1/clients", headers: [Self.auth]).body
            #expect(clients.contains(#""lastActivity" : 1700000000.5"#))
        }
    }
}
