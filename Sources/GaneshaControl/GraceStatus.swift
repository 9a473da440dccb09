/// Whether Ganesha is in its grace period, from `admin.get_grace`.
public struct GraceStatus: Sendable, Equatable {
    /// True while Ganesha refuses new state so that clients can reclaim theirs.
    public let inGrace: Bool
    /// Ganesha's status text, e.g. "get grace success".
    public let message: String

    public init(inGrace: Bool, message: String) {
        self.inGrace = inGrace
        self.message = message
    }
}
