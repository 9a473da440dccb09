import Foundation
import Testing
import TestSupport

/// The alerts in deploy/prometheus: valid, each firing on a broken volume and silent on a
/// healthy one (promtool's unit tests), and the PrometheusRule and docs/metrics.md rendered
/// from the one rules file.
@Suite("alert rules in deploy/prometheus")
struct AlertRulesTests {
    static let folder = TestEnvironment.repositoryRoot.appendingPathComponent("deploy/prometheus").path

    @Test("promtool accepts the rules and every unit test passes, firing and not firing", .needs(.tools(["promtool"])))
    func unitTests() async throws {
        let promtool = try #require(TestEnvironment.which("promtool"))
        let check = try await runCommand([promtool, "check", "rules", Self.folder + "/share-manager-rules.yaml"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let test = try await runCommand([promtool, "test", "rules", Self.folder + "/share-manager-rules.test.yaml"])
        #expect(test.status == 0, "\(test.stdout)\(test.stderr)")
    }

    @Test("every alert has a unit test")
    func everyAlertTested() throws {
        let rules = try String(contentsOfFile: Self.folder + "/share-manager-rules.yaml", encoding: .utf8)
        let tests = try String(contentsOfFile: Self.folder + "/share-manager-rules.test.yaml", encoding: .utf8)
        let alerts = rules.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("- alert: ") ? String(trimmed.dropFirst("- alert: ".count)) : nil
        }
        #expect(alerts.count >= 15, "\(alerts)")
        for alert in alerts {
            // One silent case (exp_alerts: []) and one firing case per alert.
            #expect(tests.contains("alertname: \(alert), exp_alerts: []"), "\(alert) has no not-firing test")
            #expect(tests.contains("alertname: \(alert)\n"), "\(alert) has no firing test")
        }
    }

    @Test("the PrometheusRule and docs/metrics.md's alerts are rendered from the rules file")
    func oneSource() async throws {
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("scripts/render-alerts.sh").path
        let result = try await runCommand(["/bin/bash", script, "--check"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test("yamllint finds nothing in deploy/prometheus (the manifests' relaxed config)", .needs(.python(modules: ["yamllint"])))
    func lint() async throws {
        let python = try #require(Binaries.python)
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.folder)
            .filter { $0.hasSuffix(".yaml") }.sorted().map { Self.folder + "/" + $0 }
        let result = try await runCommand([python, "-m", "yamllint", "-f", "parsable", "-d", ManifestTests.yamllintConfig] + files)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }
}
