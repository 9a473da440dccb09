import Foundation
import Testing
import TestSupport

/// A child that dies during start-up is reported at once, with how it ended and its own
/// last lines, in share-manager's error: not at the readiness timeout (10 s for the bus,
/// 30 s for Ganesha), and not as "see further up".
@Suite("a child that exits during start-up", .timeLimit(.minutes(3)))
struct StartFailureTests {
    @Test("the private bus exits (its config includes a missing file): reported at once, with its status and last line", .realParts())
    func busExits() async throws {
        try await withImage(prefix: "sm-sf1") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-sf1", dir: dir, image: image)
            let templates = try Self.copyTemplates(to: dir.file("templates")) { name, text in
                guard name == "dbus-system-bus.conf.mustache" else { return text }
                return text.replacingOccurrences(
                    of: #"<include ignore_missing="no">[^<]*</include>"#,
                    with: #"<include ignore_missing="no">/nonexistent-sm-policy/nfs-ganesha-dbus.conf</include>"#,
                    options: .regularExpression
                )
            }
            sm.extra = ["--templates-dir", templates]
            let line = try await Self.failedStart(sm, name: "server", expecting: "the private D-Bus daemon did not start", within: .seconds(8))
            #expect(line.contains("dbus-daemon exited with status 1 during start-up"), "\(line)")
            #expect(line.contains("/nonexistent-sm-policy/nfs-ganesha-dbus.conf"), "dbus-daemon's own line is quoted: \(line)")
        }
    }

    @Test("Ganesha exits (it cannot bind the NFS address): reported at once, with its status and last line", .realParts())
    func ganeshaExits() async throws {
        try await withImage(prefix: "sm-sf2") { dir, image in
            var sm = try ShareManagerUnderTest(volume: "vol-sf2", dir: dir, image: image)
            // TEST-NET-1: an address no interface here has, so Ganesha's bind fails.
            let templates = try Self.copyTemplates(to: dir.file("templates")) { name, text in
                name == "ganesha.conf.mustache" ? text.replacingOccurrences(of: "Bind_addr = {{nfsAddress}};", with: "Bind_addr = 192.0.2.1;") : text
            }
            sm.extra = ["--templates-dir", templates]
            let line = try await Self.failedStart(sm, name: "server", expecting: "Ganesha did not start", within: .seconds(20))
            #expect(line.range(of: #"ganesha exited with status [1-9][0-9]* during start-up"#, options: .regularExpression) != nil, "\(line)")
            #expect(line.contains("its last lines: ") && line.contains(":FATAL :"), "Ganesha's own FATAL line is quoted: \(line)")
        }
    }

    /// Starts `sm`, waits for it to exit 1 within `bound` (below the child's readiness
    /// timeout: the bus's is 10 s, Ganesha's 30 s), and returns its error line (the one
    /// holding `expecting`), which must be a single line. The bound includes preparing a
    /// fresh image, which takes under a second alone and over 5 s beside the whole suite.
    private static func failedStart(
        _ sm: ShareManagerUnderTest, name: String, expecting: String, within bound: Duration
    ) async throws -> String {
        let began = ContinuousClock.now
        let server = try sm.start(name: name)
        return try await stoppingAfterwards(server) {
            let code = await server.wait(timeout: .seconds(60))
            let took = ContinuousClock.now - began
            print("\(expecting): share-manager exited \(String(describing: code)) after \(took)")
            #expect(code == 1, "\(server.output)")
            #expect(took < bound, "the exit was noticed only after \(took):\n\(server.output)")
            let line = try #require(server.output.split(separator: "\n").first { $0.contains(expecting) }, "\(server.output)")
            print(line)
            return String(line)
        }
    }

    /// The repository's templates, each passed through `change`, in `folder`.
    private static func copyTemplates(to folder: String, _ change: (String, String) -> String) throws -> String {
        let source = TestEnvironment.repositoryRoot.appendingPathComponent("ganesha-templates").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: source) where name.hasSuffix(".mustache") {
            let text = try String(contentsOfFile: source + "/" + name, encoding: .utf8)
            try change(name, text).write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        }
        return folder
    }
}
