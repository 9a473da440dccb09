import FoundationEssentials
import HTTPServing
import Logging
import NIOHTTP1
import SupervisorInterface

/// Routes the control API (docs/control-api.md): JSON in and out, every failure a JSON
/// `{"error": ...}` with a 4xx or 5xx status and one line of text.
public struct ControlAPI: Sendable {
    let supervisor: any ShareSupervising
    /// Required on the TCP listener; nil on the unix socket, whose mode is the check.
    let token: [UInt8]?
    let logger: Logger

    public init(supervisor: any ShareSupervising, token: [UInt8]?, logger: Logger) {
        self.supervisor = supervisor
        self.token = token
        self.logger = logger
    }

    public func handle(_ request: HTTPRequest) async -> HTTPResponse {
        if let token {
            guard let given = Self.bearer(request.headers), ConstantTime.equal(given, token) else {
                return Self.json(.unauthorized, ControlMessage.Failure(error: "missing or wrong bearer token"),
                                 headers: [("WWW-Authenticate", "Bearer")])
            }
        }
        let route = (request.method, request.path)
        switch route {
        case (.GET, "/v1/status"):
            return Self.json(.ok, await supervisor.status())
        case (.GET, "/v1/clients"):
            return Self.json(.ok, await supervisor.clients())
        case (.POST, "/v1/resize"):
            return await respond(request, "resize") { () async throws(ControlError) in try await supervisor.grow() }
        case (.POST, "/v1/trim"):
            return await respond(request, "trim") { () async throws(ControlError) in try await supervisor.trim() }
        case (.POST, "/v1/unexport"):
            return await respond(request, "unexport") { () async throws(ControlError) in try await supervisor.setExport(online: false) }
        case (.POST, "/v1/export"):
            return await respond(request, "export") { () async throws(ControlError) in try await supervisor.setExport(online: true) }
        case (.POST, "/v1/log-level"):
            let body: ControlMessage.LogLevel
            do {
                body = try ControlJSON.decode(ControlMessage.LogLevel.self, from: request.body,
                                              allowedKeys: ["shareManager", "ganesha", "component"])
            } catch {
                return Self.json(.badRequest, ControlMessage.Failure(error: "\(error)"))
            }
            return await respond(request, "log-level", bodyAllowed: true) { () async throws(ControlError) in try await supervisor.setLogLevel(body) }
        default:
            let known = ["/v1/status", "/v1/clients", "/v1/resize", "/v1/trim", "/v1/unexport", "/v1/export", "/v1/log-level"]
            if known.contains(request.path) {
                let allow = ["/v1/status", "/v1/clients"].contains(request.path) ? "GET" : "POST"
                return Self.json(.methodNotAllowed, ControlMessage.Failure(error: "\(request.path) takes \(allow)"),
                                 headers: [("Allow", allow)])
            }
            return Self.json(.notFound, ControlMessage.Failure(error: "no such endpoint; see docs/control-api.md"))
        }
    }

    /// Runs an operation and logs who changed what: these requests change a live volume.
    private func respond<T: Encodable>(
        _ request: HTTPRequest, _ name: String, bodyAllowed: Bool = false,
        _ body: () async throws(ControlError) -> T
    ) async -> HTTPResponse {
        if !bodyAllowed, !request.body.isEmpty, !Self.isEmptyObject(request.body) {
            return Self.json(.badRequest, ControlMessage.Failure(error: "\(request.path) takes no body (or {})"))
        }
        logger.notice("control API: \(name) requested")
        do {
            return Self.json(.ok, try await body())
        } catch {
            logger.warning("control API: \(name) failed: \(error)")
            return Self.json(error.status, ControlMessage.Failure(error: "\(error)"))
        }
    }

    private static func isEmptyObject(_ body: [UInt8]) -> Bool {
        String(decoding: body, as: UTF8.self).filter { !$0.isWhitespace } == "{}"
    }

    static func bearer(_ headers: HTTPHeaders) -> [UInt8]? {
        let values = headers["Authorization"]
        guard values.count == 1, let value = values.first, value.hasPrefix("Bearer ") else { return nil }
        return Array(value.utf8.dropFirst("Bearer ".utf8.count))
    }

    static func json<T: Encodable>(
        _ status: HTTPResponseStatus, _ value: T, headers: [(name: String, value: String)] = []
    ) -> HTTPResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let text = (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? #"{"error": "encoding failed"}"#
        return HTTPResponse(status: status, contentType: "application/json", body: text + "\n", headers: headers)
    }
}

extension ControlError {
    /// What the control API answers for each failure (docs/control-api.md).
    var status: HTTPResponseStatus {
        switch self {
        case .notReady, .conflict: .conflict
        case .badValue: .badRequest
        case .ganesha: .badGateway
        case .failed: .internalServerError
        }
    }
}

/// Compares secrets in time that depends only on their lengths, so the answer's timing
/// does not tell an attacker how much of a guess was right.
enum ConstantTime {
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0xFF)
        }
        return difference == 0
    }
}
