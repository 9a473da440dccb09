import Foundation
import Testing
import TestSupport

/// Issue 16 row 6: 130 connections sending a byte a second made 39 of 40 `/healthz` probes
/// fail, and over the connection cap the kubelet's own connection was closed at once, so the
/// liveness probe restarted a healthy volume. Now 300 such connections on each TCP port
/// (re-opened when closed) cost at most 1 % of the probes and control requests, and never
/// two in a row.
@Suite("Slow-loris crowds", .hostileInstance("hostile-loris"), .timeLimit(.minutes(3)))
struct HostileSlowLorisTests {
    @Test("300 slow connections on each TCP port: probes and control requests answered within 1 s")
    func crowd() async throws {
        guard let instance = HostileInstance.forTest else { return }
        let crowd = SlowLorisCrowd(targets: [instance.probe, instance.control])
        // The crowd, three probers and whatever other suites hold, beside the default 1024.
        let limit = try OpenFiles.raiseSoftLimit(atLeast: crowd.openFilesNeeded + 512)
        let length = Duration.seconds(12)
        let (series, tally) = await crowd.during {
            async let health = ProbeSeries.run("/healthz", instance.probe, RawHTTP.request("GET", "/healthz"), for: length)
            async let ready = ProbeSeries.run("/readyz", instance.probe, RawHTTP.request("GET", "/readyz"), for: length)
            async let control = ProbeSeries.run(
                "GET /v1/status on the control TCP port", instance.control,
                RawHTTP.request("GET", "/v1/status", headers: [instance.authorization]), for: length
            )
            return await [health, ready, control]
        }
        let attack = "crowd: \(tally.opened) connections opened, \(tally.closedByServer) closed by the server, \(tally.failedConnects) connects refused or timed out; open-files limit \(limit)"
        print("slow-loris crowd: " + series.map(\.summary).joined(separator: "; ") + "; " + attack)
        #expect(tally.opened >= crowd.openFilesNeeded, "the crowd never stood: \(attack)")
        for probe in series {
            #expect(probe.answered + probe.missed >= 60, "too few requests made: \(probe.summary); \(attack)")
            #expect(probe.fraction >= 0.99, "\(probe.summary); \(attack)")
            #expect(probe.longestMissRun < 2, "\(probe.summary); \(attack)")
        }
        await instance.expectStillServing(after: "300 slow-loris connections on each TCP port")
    }
}

/// RLIMIT_NOFILE of this process: a crowd of sockets must not run into EMFILE and be
/// mistaken for a server that refuses.
enum OpenFiles {
    /// Raises the soft limit to `needed` when it is lower (never past the hard limit) and
    /// returns it; throws when even the hard limit is too low.
    static func raiseSoftLimit(atLeast needed: Int) throws -> Int {
        var limits = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limits) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        if limits.rlim_cur < rlim_t(needed) && limits.rlim_max >= rlim_t(needed) {
            limits.rlim_cur = rlim_t(needed)
            guard setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limits) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        }
        try #require(limits.rlim_cur >= rlim_t(needed), "open-files limit \(limits.rlim_cur) (hard \(limits.rlim_max)) is below the \(needed) this test needs: raise `ulimit -n`")
        return Int(clamping: limits.rlim_cur)
    }
}
