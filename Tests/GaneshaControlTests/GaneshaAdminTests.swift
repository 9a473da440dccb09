import DBusKit
import GaneshaControl
import Testing
import TestSupport

/// Grace, cache purges and live log levels against a real Ganesha 4.3.
@Suite("Ganesha admin", .serialized, .timeLimit(.minutes(2)))
struct GaneshaAdminTests {
    @Test(.ganeshaParts) func startingGraceIsVisibleInGetGrace() async throws {
        try await withGanesha { _, client in
            let answer = try await client.startGrace()
            #expect(answer == "Started grace period")
            let status = try await client.grace()
            #expect(status.inGrace)
            #expect(status.message == "get grace success")
        }
    }

    @Test(.ganeshaParts) func everyCacheCanBePurged() async throws {
        try await withGanesha { _, client in
            var answers: [String] = []
            for cache in GaneshaCache.allCases { answers.append(try await client.purge(cache)) }
            #expect(answers == ["Purge gids cache", "Purge idmapper cache", "Purge netgroup cache"])
        }
    }

    @Test(.ganeshaParts) func logLevelSetThenGetRoundTrips() async throws {
        try await withGanesha { _, client in
            // The fixture's config sets TIRPC to CRIT, as share-manager's does.
            #expect(try await client.logLevel(of: .tirpc) == .critical)
            try await client.setLogLevel(.debug, for: .dbus)
            #expect(try await client.logLevel(of: .dbus) == .debug)
            try await client.setLogLevel(.event, for: .dbus)
            #expect(try await client.logLevel(of: .dbus) == .event)
        }
    }

    @Test(.ganeshaParts) func unknownLevelOrComponentIsRejected() async throws {
        try await withGanesha { _, client in
            let level = await rejection { () async throws(GaneshaError) in
                try await client.setLogLevel(GaneshaLogLevel(rawValue: "LOUD"), for: .dbus)
            }
            #expect(level?.message == "Ganesha refused level LOUD for COMPONENT_DBUS")
            let component = GaneshaLogComponent(rawValue: "COMPONENT_NOPE")
            let unknown = await rejection { () async throws(GaneshaError) in try await client.logLevel(of: component) }
            #expect(unknown?.name == "org.freedesktop.DBus.Error.UnknownProperty")
            // A refused Set changes nothing.
            let unchanged = try await client.logLevel(of: .dbus)
            #expect(unchanged == .event)
        }
    }
}
