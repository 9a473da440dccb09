import Foundation
import GaneshaConfig
import NIOHTTP1
@testable import ShareAPI
@testable import ShareManager
@testable import ShareLogging
import SupervisorInterface
import Testing
import TestSupport

@Suite("control API pieces: token, JSON, kernel socket tables")
struct ControlUnitTests {
    @Test("constant-time comparison: equal only for the same bytes, whatever the lengths")
    func constantTime() {
        let token = Array("0123456789abcdef".utf8)
        #expect(ConstantTime.equal(token, token))
        #expect(!ConstantTime.equal(token, Array("0123456789abcdeX".utf8)))
        #expect(!ConstantTime.equal(token, Array("0123456789abcde".utf8)))
        #expect(!ConstantTime.equal(token, token + [0]))
        #expect(!ConstantTime.equal(token, []))
    }

    @Test("only 'Authorization: Bearer <token>' counts, once")
    func bearer() {
        #expect(ControlAPI.bearer(["Authorization": "Bearer abc"]) == Array("abc".utf8))
        #expect(ControlAPI.bearer(["Authorization": "bearer abc"]) == nil)
        #expect(ControlAPI.bearer(["Authorization": "Basic abc"]) == nil)
        #expect(ControlAPI.bearer([:]) == nil)
        var twice = HTTPHeaders()
        twice.add(name: "Authorization", value: "Bearer a")
        twice.add(name: "Authorization", value: "Bearer b")
        #expect(ControlAPI.bearer(twice) == nil)
    }

    static let badBodies: [(String, [UInt8])] = [
        ("empty", []),
        ("not JSON", Array("ganesha=debug".utf8)),
        ("array", Array(#"["debug"]"#.utf8)),
        ("unknown field", Array(#"{"ganesha":"DEBUG","rm":"-rf"}"#.utf8)),
        ("wrong type", Array(#"{"ganesha":7}"#.utf8)),
        ("not UTF-8", [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D]),
        ("truncated", Array(#"{"ganesha":"DEB"#.utf8)),
    ]

    @Test("strict JSON: bad bodies are refused with a reason", arguments: badBodies)
    func strictJSON(_ name: String, _ body: [UInt8]) {
        #expect(throws: ControlJSON.Invalid.self, "\(name)") {
            try ControlJSON.decode(ControlMessage.LogLevel.self, from: body, allowedKeys: ["shareManager", "ganesha", "component"])
        }
    }

    @Test("Ganesha levels and components are allow-listed before they reach D-Bus")
    func ganeshaNames() throws {
        #expect(try RuntimeSupervisor.ganeshaLevel("debug").rawValue == "NIV_DEBUG")
        #expect(try RuntimeSupervisor.ganeshaLevel("NIV_FULL_DEBUG").rawValue == "NIV_FULL_DEBUG")
        for bad in ["", "NIV_", "verbose", "DEBUG\n", "NIV_DEBUG; x", String(repeating: "A", count: 500)] {
            #expect(throws: ControlError.self) { try RuntimeSupervisor.ganeshaLevel(bad) }
        }
        #expect(try RuntimeSupervisor.ganeshaComponent("COMPONENT_EXPORT").rawValue == "COMPONENT_EXPORT")
        for bad in ["COMPONENT_", "component_all", "COMPONENT_ALL; rm", "COMPONENT_A\u{0}", "X_ALL", "COMPONENT_" + String(repeating: "A", count: 60)] {
            #expect(throws: ControlError.self) { try RuntimeSupervisor.ganeshaComponent(bad) }
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

    @Test("/proc/net/tcp rows: listening state, port and inode; addresses in both families")
    func socketTables() throws {
        let v4 = "   1: 0100007F:9E8B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 123456 1 0000000000000000 100 0 0 10 0"
        let row = try #require(ListeningSockets.parse(row: v4[...]))
        #expect(row.address == "127.0.0.1" && row.port == 40587 && row.listening && row.inode == 123456)
        let established = v4.replacingOccurrences(of: " 0A ", with: " 01 ")
        #expect(ListeningSockets.parse(row: established[...])?.listening == false)
        #expect(ListeningSockets.address(hex: "00000000000000000000000001000000") == "::1")
        #expect(ListeningSockets.address(hex: "00000000") == "0.0.0.0")
        #expect(ListeningSockets.address(hex: "zz") == nil)
        #expect(ListeningSockets.parse(row: "garbage"[...]) == nil)
    }

    @Test("this process's own listening socket is found through /proc")
    func ownSocket() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(fd, 1) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = UInt16(bigEndian: address.sin_port)
        #expect(ListeningSockets.tcp(pid: getpid()).contains { $0.port == port && $0.address == "127.0.0.1" })
    }
}

@Suite("log lines stay one line")
struct LogEscapingTests {
    @Test("control characters from outside are shown escaped, plain text is untouched")
    func escaping() {
        #expect(ShareLogHandler.escaped("plain text: ok") == "plain text: ok")
        #expect(ShareLogHandler.escaped("a\nNFS Server Now NOT IN GRACE") == "a\\nNFS Server Now NOT IN GRACE")
        #expect(ShareLogHandler.escaped("\u{1B}[2Jwiped\r") == "\\u{1b}[2Jwiped\\r")
        #expect(!ShareLogHandler.escaped("x\u{7F}\u{0}y").unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
    }
}
