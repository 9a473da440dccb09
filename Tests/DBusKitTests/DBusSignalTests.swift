import DBusKit
import Foundation
import Testing
import TestSupport

/// Signal subscriptions against a real dbus-daemon, with dbus-send as the emitting peer.
@Suite("DBusConnection signals", .timeLimit(.minutes(1)))
struct DBusSignalTests {
    static let rule = DBusMatchRule(path: "/share_manager/test", interface: "share_manager.Test", member: "Ping")

    @Test(.busParts) func matchingSignalArrivesWithItsHeaderAndBody() async throws {
        try await withBus { bus, connection in
            let signals = try await connection.signals(matching: Self.rule, timeout: .seconds(5))
            // Another member first: the rule must filter it out, so the first delivery is the Ping.
            try emitSignal(address: bus.address, member: "Other", text: "skipped")
            try emitSignal(address: bus.address, member: "Ping", text: "hello")
            let signal = try #require(await firstElement(of: signals, within: .seconds(5)))
            #expect(signal.member == "Ping")
            #expect(signal.interface == "share_manager.Test")
            #expect(signal.path == "/share_manager/test")
            #expect(signal.signature == "s")
            #expect(signal.values == [.string("hello")])
            #expect(signal.sender.hasPrefix(":"))
        }
    }

    @Test(.busParts) func senderRuleIgnoresSignalsFromOthers() async throws {
        try await withBus { bus, connection in
            var rule = Self.rule
            rule.sender = "share_manager.test.Nobody"
            let signals = try await connection.signals(matching: rule, timeout: .seconds(5))
            try emitSignal(address: bus.address, member: "Ping", text: "forged")
            let received = await collect(signals, for: .seconds(1))
            #expect(received.elements.isEmpty)
        }
    }

    /// The bus hands a signal addressed to one connection over without consulting its match
    /// rules (CI once saw the bus's own NameAcquired come out of a subscription), so a peer
    /// could otherwise feed a subscriber beats the rule would never have let through.
    @Test(.busParts) func signalsSentToTheSubscriberAloneAreDropped() async throws {
        try await withBus { bus, connection in
            let before = try await connection.uniqueNames()
            let signals = try await connection.signals(matching: Self.rule, timeout: .seconds(5))
            let subscriber = try #require(try await connection.uniqueNames().subtracting(before).first)
            try emitSignal(address: bus.address, destination: subscriber, member: "Ping", text: "directed")
            try emitSignal(address: bus.address, member: "Ping", text: "broadcast")
            // dbus-send runs one after the other, and the bus keeps one sender's order: had the
            // directed one been delivered, it would come first.
            let first = try #require(await firstElement(of: signals, within: .seconds(5)))
            #expect(first.values == [.string("broadcast")])
        }
    }

    @Test(.busParts) func methodCallsAreAnsweredWhileASubscriptionIsIdle() async throws {
        try await withBus { _, connection in
            let signals = try await connection.signals(matching: Self.rule, timeout: .seconds(5))
            let started = ContinuousClock.now
            for _ in 0..<20 { _ = try await connection.callBus("GetId") }
            // Starved calls would sit until their timeouts; the bound is loose on purpose,
            // because the whole suite shares two cores (speed is bench/'s business).
            #expect(ContinuousClock.now - started < .seconds(20))
            _ = signals
        }
    }

    @Test(.busParts) func endingTheConsumerClosesTheSubscriptionsConnection() async throws {
        try await withBus { _, connection in
            let before = try await connection.connectionCount()
            let signals = try await connection.signals(matching: Self.rule, timeout: .seconds(5))
            #expect(try await connection.connectionCount() == before + 1)
            _ = await collect(signals, for: .milliseconds(200))
            // The reader notices within its poll interval and leaves the bus.
            let gone = await SocketProbe.waitUntil(timeout: .seconds(2)) {
                (try? await connection.connectionCount()) == before
            }
            #expect(gone, "the subscription's connection is still on the bus")
        }
    }

    @Test(.busParts) func killedBusFinishesTheStream() async throws {
        try await withBus { bus, connection in
            let signals = try await connection.signals(matching: Self.rule, timeout: .seconds(5))
            let started = ContinuousClock.now
            // A window well beyond the 9 s bound below, so that the bound is a check of its own:
            // finished means the end came from the bus, not the window.
            async let received = collect(signals, for: .seconds(30))
            await bus.kill()
            let result = await received
            #expect(result.finished)
            #expect(ContinuousClock.now - started < .seconds(9))
        }
    }

    @Test(.busParts) func subscribingToNoBusFailsAndAnInvalidRuleIsRefused() async throws {
        try await withBus { bus, connection in
            let invalid = await #expect(throws: DBusError.self) {
                try await connection.signals(matching: DBusMatchRule(member: "bad'member"), timeout: .seconds(2))
            }
            #expect(invalid?.name == DBusError.Name.invalidRequest)
            await bus.kill()
            let gone = await #expect(throws: DBusError.self) {
                try await connection.signals(matching: Self.rule, timeout: .seconds(2))
            }
            #expect(gone?.isDisconnected == true)
        }
    }

    @Test func ruleTextListsOnlyTheFieldsSet() {
        #expect(Self.rule.description == "type='signal',path='/share_manager/test',interface='share_manager.Test',member='Ping'")
        #expect(DBusMatchRule().description == "type='signal'")
    }
}
