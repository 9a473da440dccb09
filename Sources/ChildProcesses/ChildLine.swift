import Logging

/// How a line a child printed is logged: the level its own header gave it, and fields read
/// from that header. The line itself is the message; the log handler escapes it.
public struct ChildLine: Sendable {
    public var level: Logger.Level
    public var metadata: Logger.Metadata

    public init(level: Logger.Level = .info, metadata: Logger.Metadata = [:]) {
        self.level = level
        self.metadata = metadata
    }
}
