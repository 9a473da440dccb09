import Foundation
import Testing

/// One hostile request to the control API and the answers it may get.
struct HostileRequest: Sendable, CustomTestStringConvertible {
    enum Via: Sendable { case tcp, unixSocket }
    /// The Authorization header(s), made from the right token.
    enum Auth: Sendable { case token, none, lines(@Sendable (String) -> String) }

    let attack: String
    var method = "POST"
    var path = "/v1/log-level"
    var body: [UInt8]?
    var headers: [String] = []
    var auth = Auth.token
    var via = Via.tcp
    /// The request exactly as sent, when it is not HTTP a server would build.
    var raw: [UInt8]?
    let statuses: Set<Int>
    /// Answered by the API (a JSON `{"error": ...}`), not by the HTTP layer below it.
    var jsonError = true

    var testDescription: String { attack }

    func bytes(token: String) -> [UInt8] {
        if let raw { return raw }
        var all = headers
        switch auth {
        case .token: all.append("Authorization: Bearer \(token)")
        case .none: break
        case .lines(let make): all.append(make(token))
        }
        return RawHTTP.request(method, path, headers: all, body: body ?? (method == "POST" ? [] : nil))
    }

    static func json(_ attack: String, _ body: String, path: String = "/v1/log-level", status: Int = 400) -> HostileRequest {
        HostileRequest(attack: attack, path: path, body: Array(body.utf8), statuses: [status])
    }

    var overUnixSocket: HostileRequest {
        var copy = self
        copy.via = .unixSocket
        copy.auth = .none
        return copy
    }

    static let big = [UInt8](repeating: UInt8(ascii: "a"), count: 70 * 1024)

    static let rows: [HostileRequest] = [
        // Bodies: strict JSON, an object with known string fields only.
        .json("malformed JSON", #"{"shareManager":"#),
        HostileRequest(attack: "body is not UTF-8", body: [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D], statuses: [400]),
        .json("array instead of object", #"["debug"]"#),
        .json("bare string", #""debug""#),
        .json("unknown field", #"{"level":"debug"}"#),
        .json("unknown field beside a known one", #"{"shareManager":"info","exec":"rm -rf /"}"#),
        .json("number where a string goes", #"{"shareManager":5}"#),
        .json("object where a string goes", #"{"ganesha":{"level":"DEBUG"}}"#),
        .json("null only", #"{"shareManager":null}"#),
        .json("empty object", "{}"),
        .json("empty body", ""),
        .json("newline in Ganesha's level", #"{"ganesha":"NIV_DEBUG\n"}"#),
        .json("shell in the component", #"{"ganesha":"DEBUG","component":"COMPONENT_ALL; rm -rf /"}"#),
        .json("path in the component", #"{"ganesha":"DEBUG","component":"COMPONENT_ALL/../../org/freedesktop"}"#),
        .json("component without a level", #"{"component":"COMPONENT_ALL"}"#),
        .json("quote in share-manager's level", #"{"shareManager":"debug\"}"}"#),
        .json("NUL in a level", #"{"shareManager":"de\u0000bug"}"#),
        .json("level of 10 000 characters", #"{"shareManager":""# + String(repeating: "x", count: 10_000) + #""}"#),
        .json("number beyond Double", #"{"shareManager":1e999999}"#),
        .json("nested 20 000 deep", String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)),
        .json("body on an endpoint that takes none", #"{"force":true}"#, path: "/v1/trim"),
        // Issue 16 row 13: a key twice, which parsers resolve differently (first or last wins).
        .json("the same field twice", #"{"shareManager":"info","shareManager":"debug"}"#),
        .json("the same field twice, the second escaped", #"{"shareManager":"info","share\u004danager":"debug"}"#),
        .json("component twice beside a level", #"{"ganesha":"NIV_EVENT","component":"COMPONENT_ALL","component":"COMPONENT_FSAL"}"#),
        .json("a field twice inside a nested object", #"{"shareManager":"info","ganesha":{"level":"a","level":"b"}}"#),
        .json("the same field in another case", #"{"shareManager":"info","ShareManager":"debug"}"#),
        .json("the same field twice over the unix socket", #"{"shareManager":"info","shareManager":"info"}"#).overUnixSocket,
        // Sizes: the HTTP layer answers before any handler runs.
        HostileRequest(attack: "body over 64 KiB (Content-Length)", body: big, statuses: [413]),
        HostileRequest(
            attack: "body over 64 KiB (chunked)",
            raw: Array("POST /v1/log-level HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                + (0..<3).flatMap { _ in Array("6000\r\n".utf8) + [UInt8](repeating: 0x61, count: 0x6000) + Array("\r\n".utf8) }
                + Array("0\r\n\r\n".utf8),
            statuses: [413]
        ),
        HostileRequest(attack: "one header of 9 KiB", method: "GET", path: "/v1/status", headers: ["X-Pad: " + String(repeating: "p", count: 9 * 1024)], statuses: [400, 431], jsonError: false),
        HostileRequest(attack: "2 000 small headers", method: "GET", path: "/v1/status", headers: (0..<2000).map { "X-H\($0): v" }, statuses: [400, 431], jsonError: false),
        HostileRequest(attack: "request line of 9 KiB", method: "GET", path: "/v1/" + String(repeating: "s", count: 9 * 1024), statuses: [400, 414, 431], jsonError: false),
        // The TCP port's bearer token.
        HostileRequest(attack: "no token", method: "GET", path: "/v1/status", auth: .none, statuses: [401]),
        HostileRequest(attack: "wrong token of the same length", method: "GET", path: "/v1/status", auth: .lines { "Authorization: Bearer " + String(repeating: "x", count: $0.count) }, statuses: [401]),
        HostileRequest(attack: "token cut short by one", method: "GET", path: "/v1/status", auth: .lines { "Authorization: Bearer \($0.dropLast())" }, statuses: [401]),
        HostileRequest(attack: "token with one byte more", method: "GET", path: "/v1/status", auth: .lines { "Authorization: Bearer \($0)x" }, statuses: [401]),
        HostileRequest(attack: "empty bearer", method: "GET", path: "/v1/status", auth: .lines { _ in "Authorization: Bearer " }, statuses: [401]),
        HostileRequest(attack: "lower-case scheme", method: "GET", path: "/v1/status", auth: .lines { "Authorization: bearer \($0)" }, statuses: [401]),
        HostileRequest(attack: "Basic instead of Bearer", method: "GET", path: "/v1/status", auth: .lines { _ in "Authorization: Basic YWRtaW46YWRtaW4=" }, statuses: [401]),
        HostileRequest(attack: "the right token twice", method: "GET", path: "/v1/status", auth: .lines { "Authorization: Bearer \($0)\r\nAuthorization: Bearer \($0)" }, statuses: [401]),
        HostileRequest(attack: "no token on a changing endpoint", path: "/v1/unexport", auth: .none, statuses: [401]),
        // Methods and paths.
        HostileRequest(attack: "DELETE /v1/status", method: "DELETE", path: "/v1/status", statuses: [405]),
        HostileRequest(attack: "GET on a POST endpoint", method: "GET", path: "/v1/resize", statuses: [405]),
        HostileRequest(attack: "unknown method token", method: "BREW", path: "/v1/status", statuses: [400, 405], jsonError: false),
        HostileRequest(attack: "unknown path", method: "GET", path: "/v1/nope", statuses: [404]),
        HostileRequest(attack: "'..' back into a known path", path: "/v1/../v1/unexport", statuses: [404]),
        HostileRequest(attack: "'..' out of the API", method: "GET", path: "/../../etc/passwd", statuses: [404]),
        HostileRequest(attack: "percent-encoded '..'", method: "GET", path: "/v1/%2e%2e/%2e%2e/etc/passwd", statuses: [404]),
        HostileRequest(attack: "absolute URI", path: "http://evil.example/v1/unexport", statuses: [404]),
        HostileRequest(attack: "not HTTP: a TLS ClientHello", raw: [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03] + [UInt8](repeating: 0, count: 64), statuses: [400], jsonError: false),
        HostileRequest(attack: "NUL in a header", raw: Array("GET /v1/status HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b\r\n\r\n".utf8), statuses: [400], jsonError: false),
        // The unix socket: no token, the same strictness.
        HostileRequest(attack: "malformed JSON over the unix socket", body: Array(#"{"ganesha":"#.utf8), auth: .none, via: .unixSocket, statuses: [400]),
        HostileRequest(attack: "unknown path over the unix socket", method: "GET", path: "/v1/../etc", auth: .none, via: .unixSocket, statuses: [404]),
        HostileRequest(attack: "body over 64 KiB over the unix socket", body: big, auth: .none, via: .unixSocket, statuses: [413]),
    ]
}
