import Logging
import NIOCore
import NIOHTTP1

/// One connection's requests, answered in order.
extension HTTPServer {
    func handle(_ connection: Connection) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                var request: HTTPRequest?
                for try await part in inbound {
                    switch part {
                    case .head(let head):
                        let path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
                        request = HTTPRequest(method: head.method, path: path, headers: head.headers)
                        request?.keepAlive = head.isKeepAlive
                        if let length = head.headers.first(name: "Content-Length").flatMap(Int.init),
                           length > limits.maxBodyBytes {
                            try await write(Self.tooLarge(limits), to: outbound, keepAlive: false, method: head.method)
                            return
                        }
                    case .body(var buffer):
                        guard request != nil else { continue }
                        if request!.body.count + buffer.readableBytes > limits.maxBodyBytes {
                            try await write(Self.tooLarge(limits), to: outbound, keepAlive: false, method: .POST)
                            return
                        }
                        request!.body += buffer.readBytes(length: buffer.readableBytes) ?? []
                    case .end:
                        guard let complete = request else { continue }
                        request = nil
                        let response = await handler(complete)
                        try await write(response, to: outbound, keepAlive: complete.keepAlive, method: complete.method)
                        if !complete.keepAlive { return }
                    }
                }
            }
        } catch {
            logger.debug("http connection ended: \(error)")
        }
    }

    private static func tooLarge(_ limits: HTTPLimits) -> HTTPResponse {
        // JSON like every other refusal of the control API, which is who sends bodies.
        HTTPResponse(
            status: .payloadTooLarge, contentType: "application/json",
            body: "{\"error\": \"request body over \(limits.maxBodyBytes) bytes\"}\n"
        )
    }

    private func write(
        _ response: HTTPResponse, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        keepAlive: Bool, method: HTTPMethod
    ) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.utf8.count))
        headers.add(name: "Cache-Control", value: "no-store")
        for extra in response.headers { headers.add(name: extra.name, value: extra.value) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)))
        if method != .HEAD {
            try await outbound.write(.body(.byteBuffer(ByteBuffer(string: response.body))))
        }
        try await outbound.write(.end(nil))
    }
}
