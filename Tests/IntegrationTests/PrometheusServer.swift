import Foundation
import TestSupport

/// A real Prometheus scraping one share-manager every second, on loopback port 0 (where it
/// listens is read from the kernel), its data in `dir`. Stopped by PID by the caller
/// (stoppingAfterwards(server.process)).
struct PrometheusServer {
    let process: ChildProcess
    private let listening = ListeningPort()

    /// Starts Prometheus with job `share-manager` scraping 127.0.0.1:`target`.
    init(scraping target: UInt16, dir: TemporaryDirectory) throws {
        let config = dir.file("prometheus.yml")
        try """
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
        scrape_configs:
          - job_name: share-manager
            static_configs:
              - targets: ['127.0.0.1:\(target)']
        """.write(toFile: config, atomically: true, encoding: .utf8)
        process = try ChildProcess(
            [TestEnvironment.which("prometheus") ?? "prometheus", "--config.file=\(config)",
             "--storage.tsdb.path=\(dir.file("tsdb"))", "--web.listen-address=127.0.0.1:0"],
            logDirectory: dir.path, name: "prometheus"
        )
    }

    /// The first series `query` returns, polling until there is one (`timeout` at most):
    /// Prometheus answers nothing before its first scrape, and a rate needs two samples in
    /// its range, which the next scrape may still have to bring.
    func firstSeries(_ query: String, timeout: Duration = .seconds(20)) async -> [String: Any]? {
        let encoded = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
        let deadline = ContinuousClock.now + timeout
        guard let port = await port(timeout: timeout) else { return nil }
        while ContinuousClock.now < deadline {
            let response = await HTTPGet.fetch(host: "127.0.0.1", port: port, path: "/api/v1/query?query=\(encoded)")
            if response.status == 200,
               let json = try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
               let result = (json["data"] as? [String: Any])?["result"] as? [[String: Any]],
               let first = result.first {
                return first
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return nil
    }

    /// The value of the first series of `query`, as Prometheus writes it.
    func value(_ query: String, timeout: Duration = .seconds(30)) async -> String? {
        (await firstSeries(query, timeout: timeout)?["value"] as? [Any])?.last as? String
    }

    /// Where Prometheus listens, once it does; nil when it never does or has exited.
    func port(timeout: Duration = .seconds(30)) async -> UInt16? {
        if let known = listening.value { return known }
        var found: UInt16?
        _ = await SocketProbe.waitUntil(timeout: timeout) {
            found = SocketProbe.listeningTCPPort(pid: process.pid)
            return found != nil || !process.isRunning
        }
        if let found { listening.value = found }
        return found
    }
}

/// The port once read, shared by the copies of a `PrometheusServer`.
private final class ListeningPort: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: UInt16?
    var value: UInt16? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
