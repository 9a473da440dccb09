import Foundation
import Testing
import TestSupport

/// One share-manager serving a fresh image, with the control API on the unix socket and on
/// TCP with a token, shared by every row of a suite: starting one per row would cost a
/// format and a Ganesha start each.
struct HostileInstance: Sendable {
    let sm: ShareManagerUnderTest
    let process: ChildProcess
    let controlPort: UInt16
    let token: String

    @TaskLocal static var current: HostileInstance?

    /// The suite's instance. Its suite is gated by `.realParts()`, so a test without one is a failure.
    static func forTest() throws -> HostileInstance { try #require(current, "no running share-manager: the suite's scope did not run") }

    var probe: RawHTTP.Target { .tcp(sm.httpPort) }
    var control: RawHTTP.Target { .tcp(controlPort) }
    var socket: RawHTTP.Target { .unix(sm.stateDir + "/control.sock") }
    var authorization: String { "Authorization: Bearer \(token)" }

    /// What every hostile row is followed by: the server still answers and the process lives.
    func expectStillServing(after attack: String) async {
        #expect(process.isRunning, "\(attack): share-manager exited:\n\(process.output)")
        let status = await RawHTTP.exchange(control, RawHTTP.request("GET", "/v1/status", headers: [authorization]))
        #expect(status?.status == 200, "\(attack): GET /v1/status afterwards answered \(String(describing: status?.status))")
        let health = await RawHTTP.exchange(probe, RawHTTP.request("GET", "/healthz"))
        #expect(health?.status == 200, "\(attack): /healthz afterwards answered \(String(describing: health?.status))")
    }
}

/// Starts the suite's `HostileInstance` before its first test and stops it, by PID, after
/// its last, pass or fail.
struct WithHostileInstance: SuiteTrait, TestScoping {
    let name: String

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        try await withImage(prefix: "sm-\(name)") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-\(name)", dir: dir, image: image)
            let controlPort = try freeTCPPort()
            let token = String((0..<40).map { _ in "0123456789abcdefghijklmnopqrstuvwxyz".randomElement()! })
            let tokenFile = dir.file("token")
            try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: tokenFile))
            chmod(tokenFile, 0o600)
            sm.extra = ["--control-port", String(controlPort), "--control-token-file", tokenFile]
            let process = try sm.start(name: name)
            try await stoppingAfterwards(process) {
                try #require(await sm.waitUntilReady(process), "never ready:\n\(process.output)")
                let instance = HostileInstance(sm: sm, process: process, controlPort: controlPort, token: token)
                try await HostileInstance.$current.withValue(instance) { try await function() }
                #expect(process.isRunning, "share-manager died during the suite:\n\(process.output)")
            }
        }
    }
}

extension Trait where Self == WithHostileInstance {
    /// A running share-manager for the suite, reached through `HostileInstance.current`.
    static func hostileInstance(_ name: String) -> Self { WithHostileInstance(name: name) }
}
