import Dispatch
import Glibc

/// SIGTERM and SIGINT as an async stream. Their default actions are switched off first, so
/// a signal that arrives during device preparation is held until we can act on it.
enum TerminationSignals {
    static func stream() -> AsyncStream<Int32> {
        AsyncStream { continuation in
            var sources: [any DispatchSourceSignal] = []
            for sig in [SIGTERM, SIGINT] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler { continuation.yield(sig) }
                source.resume()
                sources.append(source)
            }
            // Ganesha must never see SIGHUP from us, and a terminal hang-up must not kill us mid-shutdown.
            signal(SIGHUP, SIG_IGN)
            signal(SIGPIPE, SIG_IGN)
            let held = SignalSources(sources: sources)
            continuation.onTermination = { _ in held.cancel() }
        }
    }

    /// "SIGTERM" for the log.
    static func name(_ sig: Int32) -> String {
        switch sig {
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        default: "signal \(sig)"
        }
    }
}

/// Keeps the dispatch sources alive while the stream is; they are only ever cancelled.
private final class SignalSources: @unchecked Sendable {
    let sources: [any DispatchSourceSignal]
    init(sources: [any DispatchSourceSignal]) { self.sources = sources }
    func cancel() { sources.forEach { $0.cancel() } }
}
