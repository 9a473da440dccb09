import Synchronization

/// Set once by SIGTERM/SIGINT; the lifecycle checks it between steps that cannot be
/// interrupted (a format, a check, a mount) and stops cleanly after them.
final class StopRequest: Sendable {
    private let signal = Mutex<Int32?>(nil)

    func request(_ sig: Int32) {
        signal.withLock { if $0 == nil { $0 = sig } }
    }

    var isRequested: Bool { signal.withLock { $0 != nil } }
}
