import Foundation
import IDMapping
import Testing
import TestSupport

/// The domain libnfsidmap resolves, from real idmapd.conf files in a temporary folder.
@Suite struct EffectiveDomainTests {
    @Test func domainComesFromGeneralSection() throws {
        try withConfigs { dir in
            let file = try write("[General]\nVerbosity = 0\nDomain = example.test\n\n[Mapping]\nNobody-User = nobody\n", dir, "idmapd.conf")
            #expect(try IDMapDomain.effective(configFile: file) == "example.test")
        }
    }

    @Test func renderedConfigResolvesToItsDomain() throws {
        try withConfigs { dir in
            let rendered = try IDMapDomain.renderConfig(domain: "volumes.cluster-1.example.test")
            #expect(rendered == "[General]\nDomain = volumes.cluster-1.example.test\n")
            let file = try write(rendered, dir, "idmapd.conf")
            #expect(try IDMapDomain.effective(configFile: file) == "volumes.cluster-1.example.test")
        }
    }

    /// libnfsidmap reads its file once per initialisation and keeps it globally; every call
    /// must still see the file it names, in turn and from many tasks at once.
    @Test func eachCallReadsItsOwnFile() async throws {
        let dir = try TemporaryDirectory(prefix: "sm-idmap")
        defer { dir.remove() }
        let files = try (0..<8).map { index in try write("[General]\nDomain = d\(index).example.test\n", dir, "\(index).conf") }
        for (index, file) in Array(files.enumerated()) + Array(files.enumerated()) {
            #expect(try IDMapDomain.effective(configFile: file) == "d\(index).example.test")
        }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<4 {
                for (index, file) in files.enumerated() {
                    group.addTask { try IDMapDomain.effective(configFile: file) == "d\(index).example.test" }
                }
            }
            for try await matched in group { #expect(matched) }
        }
    }

    /// Without a Domain line, or without the file, libnfsidmap falls back to the host's DNS
    /// domain (then `localdomain`); which one depends on the host, but both cases agree.
    @Test func missingDomainFallsBackLikeLibnfsidmap() throws {
        try withConfigs { dir in
            let noDomain = try write("[General]\nVerbosity = 0\n", dir, "idmapd.conf")
            let fallback = try IDMapDomain.effective(configFile: noDomain)
            #expect(!fallback.isEmpty)
            #expect(try IDMapDomain.effective(configFile: dir.file("missing.conf")) == fallback)
            let named = try write("[General]\nDomain = named.example.test\n", dir, "named.conf")
            #expect(try IDMapDomain.effective(configFile: named) == "named.example.test")
            #expect(try IDMapDomain.effective(configFile: noDomain) == fallback)
        }
    }

    @Test func pathWithNulIsRefused() {
        #expect(throws: IDMapError.invalidConfigPath("/tmp/a\0b")) { try IDMapDomain.effective(configFile: "/tmp/a\0b") }
    }

    private func withConfigs(_ body: (TemporaryDirectory) throws -> Void) throws {
        let dir = try TemporaryDirectory(prefix: "sm-idmap")
        defer { dir.remove() }
        try body(dir)
    }
}

private func write(_ text: String, _ dir: TemporaryDirectory, _ name: String) throws -> String {
    let path = dir.file(name)
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
