import SupervisorInterface

/// A FAKE supervisor: the other side of the ShareSupervising protocol, so that ShareAPI's
/// routes, status codes and bodies are tested without Ganesha, a bus or a device. Each
/// answer is set by the test; each change the API asks for is recorded.
actor FakeSupervisor: ShareSupervising {
    var health = HealthFacts(phase: .serving, ganeshaRunning: true, heartbeatAge: .seconds(1), stuckWriteProbe: nil, filesystem: .healthy)
    var readiness = ReadinessFacts(phase: .serving, exportOffline: false, nfsPort: 2049, export: .active, nfsAnswers: true, filesystem: .healthy)
    var sample = MetricsSample()
    /// What every changing call throws; nil: it succeeds.
    var failure: ControlError?
    private(set) var calls: [String] = []
    private(set) var logLevels: [ControlMessage.LogLevel] = []

    func set(health: HealthFacts) { self.health = health }
    func set(readiness: ReadinessFacts) { self.readiness = readiness }
    func set(sample: MetricsSample) { self.sample = sample }
    func set(failure: ControlError?) { self.failure = failure }

    func healthFacts() -> HealthFacts { health }
    func readinessFacts() -> ReadinessFacts { readiness }
    func metricsSample() -> MetricsSample { sample }

    func status() -> ControlMessage.Status {
        ControlMessage.Status(
            volume: "vol", version: "0.0.0-test", phase: health.phase.rawValue,
            export: .init(pseudo: "/vol", path: "/export", exportID: 1, accessType: "RW", active: true, offline: false),
            grace: Self.grace, ganesha: .init(pid: 42, running: true, restarts: 0),
            endpoint: NFSEndpoint(volume: "vol", address: "127.0.0.1", port: 2049, pid: 42))
    }

    func clients() -> ControlMessage.Clients {
        .init(connected: [.init(address: "10.0.0.7", protocols: ["NFSv4.1"], lastActivity: 1_700_000_000.5)], recorded: [], grace: Self.grace)
    }

    static let grace = ControlMessage.Grace(active: false, remainingSeconds: 0, recordedClients: 0, reclaimedClients: 0, pending: [])

    func setExport(online: Bool) throws(ControlError) -> ControlMessage.Result {
        try record(online ? "export" : "unexport")
        return .init(ok: true, message: online ? "exported" : "unexported")
    }

    func grow() throws(ControlError) -> ControlMessage.Resize {
        try record("grow")
        return .init(outcome: "grown", fromBytes: 1024, toBytes: 2048, message: "grown online")
    }

    func trim() throws(ControlError) -> ControlMessage.Trim {
        try record("trim")
        return .init(trimmedBytes: 4096)
    }

    func setLogLevel(_ request: ControlMessage.LogLevel) throws(ControlError) -> ControlMessage.Result {
        try record("log-level")
        logLevels.append(request)
        return .init(ok: true, message: "levels set")
    }

    private func record(_ call: String) throws(ControlError) {
        calls.append(call)
        if let failure { throw failure }
    }
}
