import DBusKit
import GaneshaControl
import Testing
import TestSupport

/// GaneshaClient against a real ganesha.nfsd 4.3 on a private bus, one server per test.
@Suite("GaneshaClient against a real Ganesha", .serialized, .timeLimit(.minutes(2)))
struct GaneshaClientTests {
    @Test(.ganeshaParts) func addedExportIsListedWithItsPath() async throws {
        try await withGanesha { ganesha, client in
            let export = try ganesha.writeExport()
            let answer = try await client.addExport(configPath: export.file, exportID: 1)
            #expect(answer.contains("added"))
            let exports = try await client.showExports()
            let listed = try #require(exports.first { $0.id == 1 })
            #expect(listed.path == export.path)
            // The flags exist for every protocol and stay off until a client uses one.
            #expect(listed.protocolFlags["NFSv41"] == false)
            #expect(listed.activeProtocols.isEmpty)
        }
    }

    @Test(.ganeshaParts) func addingTheSameExportTwiceIsRejectedWithGaneshasMessage() async throws {
        try await withGanesha { ganesha, client in
            let export = try ganesha.writeExport()
            _ = try await client.addExport(configPath: export.file, exportID: 1)
            let error = await #expect(throws: GaneshaError.self) {
                try await client.addExport(configPath: export.file, exportID: 1)
            }
            guard case .rejected(let method, let name, let message) = error else {
                Issue.record("expected .rejected, got \(String(describing: error))")
                return
            }
            #expect(method == "exportmgr.AddExport")
            #expect(name == "org.freedesktop.DBus.Error.InvalidFileContent")
            #expect(message.contains("already active"))
        }
    }

    @Test(.ganeshaParts) func removedExportIsNoLongerListedAndAnUnknownIdIsRejected() async throws {
        try await withGanesha { ganesha, client in
            let export = try ganesha.writeExport()
            _ = try await client.addExport(configPath: export.file, exportID: 1)
            try await client.removeExport(id: 1)
            let exports = try await client.showExports()
            #expect(!exports.contains { $0.id == 1 })
            // The pseudo root stays.
            #expect(exports.contains { $0.id == 0 })

            let error = await #expect(throws: GaneshaError.self) { try await client.removeExport(id: 99) }
            guard case .rejected(_, _, let message) = error else {
                Issue.record("expected .rejected, got \(String(describing: error))")
                return
            }
            #expect(message.contains("Export id not found"))
        }
    }

    @Test(.ganeshaParts) func graceStatusDecodes() async throws {
        try await withGanesha { _, client in
            let status = try await client.grace()
            // No recovery records: grace ends at once, but only the decoding is asserted here.
            #expect(status.message == "get grace success")
        }
    }

    @Test(.ganeshaParts) func shutdownMakesGaneshaExitByItself() async throws {
        try await withGanesha { ganesha, client in
            try await client.shutdown()
            let status = await ganesha.process.wait(timeout: .seconds(10))
            #expect(status == 0, "Ganesha still running or failed after admin.shutdown")
            let registered = try await client.isRegistered()
            #expect(!registered)
        }
    }
}
