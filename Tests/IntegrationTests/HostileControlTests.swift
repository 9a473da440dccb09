import Foundation
import Testing
import TestSupport

/// Hostile requests to one running share-manager's control API: each is answered 4xx with
/// one line of error, and the server goes on serving.
@Suite("Hostile requests to the control API", .realParts(), .hostileInstance("hostile-control"), .timeLimit(.minutes(4)))
struct HostileControlTests {
    @Test("answered 4xx with one line of error; the server still serves", arguments: HostileRequest.rows)
    func refused(_ row: HostileRequest) async throws {
        let instance = try HostileInstance.forTest()
        let target = row.via == .tcp ? instance.control : instance.socket
        let answer = await RawHTTP.exchange(target, row.bytes(token: instance.token))
        let response = try #require(answer, "no HTTP answer (closed, or nothing within 10 s)")
        // Well before the 10 s request deadline, which would otherwise be what ends it.
        #expect(response.elapsed < .seconds(8), "answered only after \(response.elapsed)")
        #expect(row.statuses.contains(response.status), "answered \(response.status): \(response.body)")
        if row.jsonError {
            #expect(response.headers["content-type"] == "application/json", "\(response.headers)")
            let object = try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
            let message = object?["error"] as? String
            #expect(object?.count == 1 && message != nil, "not {\"error\": ...}: \(response.body)")
            if let message {
                #expect(!message.contains("\n") && message.count < 400, "not one short line: \(message)")
            }
        } else {
            #expect(response.body.split(separator: "\n").count <= 1, "more than one line: \(response.body)")
        }
        await instance.expectStillServing(after: row.attack)
    }

    @Test("the right token is accepted over TCP (the control for the 401 rows)")
    func rightToken() async throws {
        let instance = try HostileInstance.forTest()
        let answer = await RawHTTP.exchange(instance.control, RawHTTP.request("GET", "/v1/status", headers: [instance.authorization]))
        #expect(answer?.status == 200)
        let object = try JSONSerialization.jsonObject(with: Data((answer?.body ?? "").utf8)) as? [String: Any]
        #expect(object?["volume"] as? String == instance.sm.volume)
    }
}
