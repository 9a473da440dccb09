import IDMapping
import Testing

/// What may be written into idmapd.conf as `Domain =`.
@Suite struct DomainValidationTests {
    @Test(arguments: [
        "example.test", "a", "localdomain", "cluster-1.example.test", "0.9-z.x",
        String(repeating: "a", count: 63) + ".test",
        Array(repeating: String(repeating: "b", count: 49), count: 5).joined(separator: "."), // 249 bytes
    ])
    func validDomainsPass(_ domain: String) throws {
        try IDMapDomain.validate(domain: domain)
        #expect(try IDMapDomain.renderConfig(domain: domain) == "[General]\nDomain = \(domain)\n")
    }

    @Test(arguments: [
        "", "example test", "example.test\nMethod = static", "example.test\r", "[General]", "a]b", "a=b",
        "Example.Test", ".example.test", "example.test.", "example..test", "-example.test", "example-.test",
        "exa_mple.test", "ex\0ample", "grüße.test", "a.b;c", "#comment",
        String(repeating: "a", count: 64) + ".test",
        Array(repeating: String(repeating: "b", count: 50), count: 5).joined(separator: "."), // 254 bytes
    ])
    func invalidDomainsAreRejected(_ domain: String) {
        #expect(throws: IDMapError.self) { try IDMapDomain.validate(domain: domain) }
        #expect(throws: IDMapError.self) { try IDMapDomain.renderConfig(domain: domain) }
    }

    @Test func errorSaysWhatToDoOnOneLine() {
        do {
            try IDMapDomain.validate(domain: "bad\ndomain")
            Issue.record("accepted a domain with a newline")
        } catch {
            let text = error.description
            #expect(!text.contains("\n"))
            #expect(text.contains("use a DNS name"))
            #expect(text.contains(#"bad\ndomain"#))
        }
    }
}
