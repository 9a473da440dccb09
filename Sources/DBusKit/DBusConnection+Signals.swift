extension DBusConnection {
    /// Receives the signals `rule` matches, as a stream.
    ///
    /// The subscription has a connection and a thread of its own, so method calls on this
    /// connection and signal delivery never wait for each other. It returns once the bus
    /// has accepted the rule. The stream finishes when the bus goes away; ending the
    /// consuming task (or dropping the stream) closes the connection and ends the thread
    /// within about 100 ms. When the consumer falls behind, the oldest signals beyond
    /// `bufferingNewest` are dropped.
    public func signals(
        matching rule: DBusMatchRule, bufferingNewest limit: Int = 64, timeout: Duration
    ) async throws(DBusError) -> AsyncStream<DBusSignal> {
        try await signals(matching: rule, bufferingNewest: limit, timeout: timeout) { $0 }
    }

    /// Like ``signals(matching:bufferingNewest:timeout:)``, turning each signal into an
    /// element with `transform` on the reading thread; a nil result is skipped.
    public func signals<Element: Sendable>(
        matching rule: DBusMatchRule, bufferingNewest limit: Int = 64, timeout: Duration,
        transform: @escaping @Sendable (DBusSignal) -> Element?
    ) async throws(DBusError) -> AsyncStream<Element> {
        try await SignalReader.subscribe(
            address: address, rule: rule, timeout: timeout, bufferingNewest: limit, transform: transform)
    }
}
