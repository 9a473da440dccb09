import DBusKit
import Foundation
import Testing
import TestSupport

@Suite("DBusConnection against a real dbus-daemon", .timeLimit(.minutes(1)))
struct DBusConnectionTests {
    @Test(.busParts) func nameHasOwnerSeesTheBusAndNotAnUnknownName() async throws {
        try await withBus { _, connection in
            let busOwned = try await connection.nameHasOwner("org.freedesktop.DBus", timeout: .seconds(5))
            let unknownOwned = try await connection.nameHasOwner("share_manager.test.Nobody", timeout: .seconds(5))
            #expect(busOwned)
            #expect(!unknownOwned)
            #expect(connection.uniqueName.hasPrefix(":"))
        }
    }

    @Test(.busParts) func listNamesDecodesToStringsIncludingOurUniqueName() async throws {
        try await withBus { _, connection in
            let reply = try await connection.callBus("ListNames")
            #expect(reply.signature == "as")
            let names = try #require(reply.values.first?.elements).compactMap(\.string)
            #expect(names.contains(connection.uniqueName))
            #expect(names.contains("org.freedesktop.DBus"))
            #expect(reply.values.first?.typeSignature == "as")
        }
    }

    @Test(.busParts) func getIdIsThirtyTwoHexDigits() async throws {
        try await withBus { _, connection in
            let id = try #require(try await connection.callBus("GetId").values.first?.string)
            #expect(id.count == 32)
            #expect(id.allSatisfy { $0.isHexDigit })
        }
    }

    @Test(.busParts) func dictionaryOfVariantsDecodes() async throws {
        try await withBus { _, connection in
            let reply = try await connection.callBus("GetConnectionCredentials", [.string(connection.uniqueName)])
            #expect(reply.signature == "a{sv}")
            let entries = try #require(reply.values.first?.dictionaryEntries)
            let pid = entries.first { $0.key.string == "ProcessID" }?.value.variantValue?.uint32
            #expect(pid == UInt32(getpid()))
        }
    }

    @Test(.busParts) func unknownMethodCarriesTheServersErrorName() async throws {
        try await withBus { _, connection in
            let error = await #expect(throws: DBusError.self) { try await connection.callBus("NoSuchMethod") }
            #expect(error?.name == DBusError.Name.unknownMethod)
            #expect(error?.message.contains("NoSuchMethod") == true)
        }
    }

    @Test(.busParts) func invalidRequestIsAnErrorNotAnAbort() async throws {
        try await withBus { _, connection in
            // libdbus aborts the process on these unless they are caught first.
            let badPath = await #expect(throws: DBusError.self) {
                try await connection.call(
                    destination: "org.freedesktop.DBus", path: "not/a/path", interface: "org.freedesktop.DBus",
                    method: "GetId", timeout: .seconds(1))
            }
            #expect(badPath?.name == DBusError.Name.invalidRequest)
            let badName = await #expect(throws: DBusError.self) {
                try await connection.call(
                    destination: "bad..name", path: "/", interface: "org.freedesktop.DBus", method: "GetId",
                    timeout: .seconds(1))
            }
            #expect(badName?.name == DBusError.Name.invalidRequest)
            let nul = await #expect(throws: DBusError.self) {
                try await connection.callBus("NameHasOwner", [.string("a\u{0}b")])
            }
            #expect(nul?.name == DBusError.Name.invalidRequest)
            let stillUsable = try await connection.nameHasOwner("org.freedesktop.DBus", timeout: .seconds(5))
            #expect(stillUsable)
        }
    }

    @Test func connectToNothingFailsWithAnError() async throws {
        let directory = try TemporaryDirectory(prefix: "sm-nobus")
        defer { directory.remove() }
        let error = await #expect(throws: DBusError.self) {
            try await DBusConnection.connect(address: "unix:path=\(directory.file("missing"))", timeout: .seconds(2))
        }
        #expect(error?.isDisconnected == true)
    }
}
