import Synchronization

/// Shared between the orderly tear-down and an escalation that overtakes it: once
/// abandoned, the orderly task starts nothing new (it may still be inside a step that
/// blocks, which the escalation works around instead of waiting for).
final class TearDownProgress: Sendable {
    private let abandoned = Mutex(false)

    var isAbandoned: Bool { abandoned.withLock { $0 } }

    func abandon() { abandoned.withLock { $0 = true } }
}
