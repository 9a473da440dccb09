import Foundation
import GaneshaConfig
import NIOHTTP1
@testable import ShareAPI
@testable import ShareCLI
@testable import ShareManager
@testable import Supervisor
@testable import ShareLogging
import SupervisorInterface
import Testing
import TestSupport

@Suite("control bridge pieces: Ganesha log names, token file, kernel socket tables")
struct ControlUnitTests {
    @Test("Ganesha levels and components are allow-listed before they reach D-Bus")
    func ganeshaNames() throws {
        #expect(try LogLevelNames.ganeshaLevel("debug").rawValue == "NIV_DEBUG")
        #expect(try LogLevelNames.ganeshaLevel("NIV_FULL_DEBUG").rawValue == "NIV_FULL_DEBUG")
        for bad in ["", "NIV_", "verbose", "DEBUG\n", "NIV_DEBUG; x", String(repeating: "A", count: 500)] {
            #expect(throws: ControlError.self) { try LogLevelNames.ganeshaLevel(bad) }
        }
        #expect(try LogLevelNames.ganeshaComponent("COMPONENT_EXPORT").rawValue == "COMPONENT_EXPORT")
        for bad in ["COMPONENT_", "component_all", "COMPONENT_ALL; rm", "COMPONENT_A\u{0}", "X_ALL", "COMPONENT_" + String(repeating: "A", count: 60)] {
            #expect(throws: ControlError.self) { try LogLevelNames.ganeshaComponent(bad) }
        }
    }

    @Test("the token file must be private, one line of printable ASCII, 16-512 characters")
    func tokenFile() throws {
        let dir = try TemporaryDirectory(prefix: "sm-token")
        defer { dir.remove() }
        func file(_ name: String, _ text: String, mode: mode_t = 0o600) throws -> String {
            let path = dir.file(name)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, mode)
            return path
        }
        #expect(try ShareManagerOptions.readToken(try file("good", "0123456789abcdef0123\n")) == Array("0123456789abcdef0123".utf8))
        let bad = [
            try file("open", "0123456789abcdef0123", mode: 0o644),
            try file("short", "short-token"),
            try file("spaces", "0123456789 abcdef 0123"),
            try file("two-lines", "0123456789abcdef\n0123456789abcdef"),
            try file("long", String(repeating: "x", count: 600)),
            dir.file("missing"),
            dir.path,
        ]
        for path in bad {
            #expect(throws: ValidationError.self, "\(path)") { try ShareManagerOptions.readToken(path) }
        }
    }
}
