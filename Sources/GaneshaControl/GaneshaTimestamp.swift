import DBusKit

/// A point in time as Ganesha sends it, `(tt)`: seconds and nanoseconds since the Unix epoch.
public struct GaneshaTimestamp: Sendable, Hashable, Comparable {
    public let seconds: UInt64
    public let nanoseconds: UInt64

    public init(seconds: UInt64, nanoseconds: UInt64) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    /// The time since the Unix epoch.
    public var sinceEpoch: Duration {
        .seconds(Int64(clamping: seconds)) + .nanoseconds(Int64(clamping: nanoseconds))
    }

    public static func < (lhs: GaneshaTimestamp, rhs: GaneshaTimestamp) -> Bool {
        (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
    }

    /// Reads a `(tt)` structure; nil for any other shape.
    init?(wire: DBusValue) {
        guard let fields = wire.fields, fields.count == 2,
              let seconds = fields[0].uint64, let nanoseconds = fields[1].uint64
        else { return nil }
        self.init(seconds: seconds, nanoseconds: nanoseconds)
    }
}
