import FoundationEssentials
import Glibc
import LinuxSupport
import Synchronization

/// One dedicated connection read by a thread of its own, feeding matching signals to a stream.
///
/// Not the method-call queue: a blocking read there would stall calls, and a slow call
/// would delay signals (and with them any health check that counts them). The thread and
/// its connection end when the stream's consumer goes away or the bus does.
final class SignalReader: Sendable {
    /// The longest a cancelled subscription keeps its thread and connection.
    static let pollInterval: Duration = .milliseconds(100)

    private let stopRequested = Atomic<Bool>(false)

    private init() {}

    /// Opens the connection, subscribes, and returns once the bus has accepted the match
    /// rule: no signal sent after this returns is missed.
    static func subscribe<Element: Sendable>(
        address: String, rule: DBusMatchRule, timeout: Duration, bufferingNewest limit: Int,
        transform: @escaping @Sendable (DBusSignal) -> Element?
    ) async throws(DBusError) -> AsyncStream<Element> {
        try rule.validate()
        let (stream, sink) = AsyncStream.makeStream(of: Element.self, bufferingPolicy: .bufferingNewest(max(1, limit)))
        let reader = SignalReader()
        sink.onTermination = { _ in reader.stopRequested.store(true, ordering: .relaxed) }
        let subscribed = await withCheckedContinuation { (ready: CheckedContinuation<Result<Void, DBusError>, Never>) in
            DetachedThread.start(name: "sm-dbus-signals") {
                reader.run(address: address, rule: rule, timeout: timeout, ready: ready) { signal in
                    if let element = transform(signal) { sink.yield(element) }
                }
                sink.finish()
            }
        }
        try subscribed.get()
        return stream
    }

    private func run(
        address: String, rule: DBusMatchRule, timeout: Duration,
        ready: CheckedContinuation<Result<Void, DBusError>, Never>, deliver: (DBusSignal) -> Void
    ) {
        let handle: ConnectionHandle
        do throws(DBusError) {
            handle = try ConnectionHandle.open(address: address, timeout: timeout).0
            try handle.addMatch(rule, timeout: timeout)
        } catch {
            ready.resume(returning: .failure(error))
            return
        }
        defer { handle.close() }
        ready.resume(returning: .success(()))
        handle.receiveSignals(
            pollInterval: Self.pollInterval, shouldStop: { stopRequested.load(ordering: .relaxed) }, deliver: deliver)
    }
}
