import Foundation
import Testing
import TestSupport

/// /metrics as docs/metrics.md describes it, checked against a live share-manager on real
/// Ganesha: the families, a fresh instance's client count, the protocols that are off.
@Suite("/metrics matches docs/metrics.md on a live share-manager", .serialized, .timeLimit(.minutes(3)))
struct MetricsDocsTests {
    /// Families documented but absent from a freshly serving instance, each with the event
    /// that makes them appear. The only place such exceptions are listed.
    static let appearLater: [String: String] = Dictionary(uniqueKeysWithValues: [
        "export_bytes_total", "export_operations_total", "export_errors_total", "export_latency_seconds_total",
    ].map { ("share_manager_" + $0, "the first READ or WRITE on the export (GetNFSIO lists only versions an export served)") })

    @Test(
        "no client: clients_connected 0 and /v1/clients empty although the readiness probe called NULL; no NFSv3 or 4.0 series; documented families = scraped families",
        .realParts(python: true))
    func freshInstance() async throws {
        try await servingShareManager("vol-mdocs") { sm, _, _ in
            // Ready means our own NULL probe answered at least once; ask again a few
            // times so that the probe's connections are certainly behind us.
            for _ in 0..<3 { #expect(await sm.get("/readyz").status == 200) }
            let fresh = await sm.scrape()
            #expect(fresh.values[#"share_manager_clients_connected{volume="vol-mdocs"}"#] == 0, "\(fresh.body)")
            let clients = try ControlCall.json(sm, "GET", "/v1/clients")
            #expect((clients["connected"] as? [Any])?.isEmpty == true, "\(clients)")
            let versions = Set(fresh.values.keys.compactMap(Self.nfsVersion))
            #expect(versions.isSubset(of: ["4.1", "4.2"]), "series of protocols that are off: \(versions)")

            let documented = try Self.documentedFamilies()
            #expect(documented.count > 25, "docs/metrics.md tables not found: \(documented)")
            let scraped = Self.families(in: fresh.body)
            let missing = documented.subtracting(scraped).subtracting(Self.appearLater.keys)
            #expect(missing.isEmpty, "documented but not scraped: \(missing.sorted())")
            let undocumented = scraped.subtracting(documented)
            #expect(undocumented.isEmpty, "scraped but not in docs/metrics.md: \(undocumented.sorted())")
            #expect(Set(Self.appearLater.keys).isSubset(of: documented))

            #expect(try nfsClient(["write", sm.nfsURL, "d.bin", "4096"]).status == 0)
            let later = Self.families(in: await sm.scrape().body)
            for (family, event) in Self.appearLater {
                #expect(later.contains(family), "\(family) still absent after \(event)")
            }
        }
    }

    @Test("with --enable-nfsv40 the 4.0 series are there, NFSv3 still not", .realParts())
    func nfsv40WhenEnabled() async throws {
        try await servingShareManager("vol-mdocs40", extra: ["--enable-nfsv40", "true"]) { sm, _, _ in
            let versions = Set(await sm.scrape().values.keys.compactMap(Self.nfsVersion))
            #expect(versions == ["4.0", "4.1", "4.2"], "\(versions)")
        }
    }

    /// The `nfs_version` label of a series, when it has one.
    static func nfsVersion(_ series: String) -> String? {
        guard let range = series.range(of: #"nfs_version=""#) else { return nil }
        return String(series[range.upperBound...].prefix { $0 != "\"" })
    }

    /// Family names of the series in a scrape (counters keep their `_total`).
    static func families(in body: String) -> Set<String> {
        Set(body.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.prefix { $0 != "{" && $0 != " " }) })
    }

    /// The first column of docs/metrics.md's family tables.
    static func documentedFamilies() throws -> Set<String> {
        let text = try String(contentsOf: TestEnvironment.repositoryRoot.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        return Set(text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `share_manager_") else { return nil }
            return String(line.dropFirst(3).prefix { $0 != "`" })
        })
    }
}
