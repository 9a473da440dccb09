import NIOHTTP1
@testable import ShareAPI
import SupervisorInterface
import Testing

@Suite("control API pieces: constant-time token check, bearer header, strict JSON")
struct ControlPieceTests {
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


    @Test("a JSON key twice in one object is found, at any depth and however it is escaped")
    func duplicateKeys() throws {
        func first(_ text: String) throws -> String? { try DuplicateKeys.first(in: Array(text.utf8)) }
        #expect(try first(#"{"shareManager":"info","shareManager":"debug"}"#) == "shareManager")
        #expect(try first(#"{"ganesha":"DEBUG","component":"A","component":"B"}"#) == "component")
        #expect(try first(#"{"a":{"b":1,"b":2}}"#) == "b")
        #expect(try first(#"{"a":[{"b":1},{"c":{"d":[1,{"e":1,"e":2}]}}]}"#) == "e")
        #expect(try first(#"{"shareManager":"info","share\u004danager":"debug"}"#) == "shareManager")
        #expect(try first(#"{"a\"b":1,"a\"b":2}"#) == "a\"b")
        #expect(try first(#"{"a":1,"b":{"a":1},"c":[{"a":1},{"a":1}]}"#) == nil, "the same key in different objects")
        #expect(try first(#"{"shareManager":"info","ShareManager":"debug"}"#) == nil, "keys are case-sensitive")
        #expect(try first(#"{"k":"{\"k\":1,\"k\":2}"}"#) == nil, "text inside a string value")
        #expect(throws: ControlJSON.Invalid.self) {
            try ControlJSON.decode(ControlMessage.LogLevel.self, from: Array(#"{"shareManager":"info","shareManager":"debug"}"#.utf8), allowedKeys: ["shareManager"])
        }
    }
}
