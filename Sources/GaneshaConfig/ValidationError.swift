/// A flag value that share-manager refuses before it can reach a config file.
/// The description is the single line the operator reads: the flag, then what is wrong.
public struct ValidationError: Error, CustomStringConvertible, Sendable, Equatable {
    public let flag: String
    public let reason: String

    public init(flag: String, reason: String) {
        self.flag = flag
        self.reason = reason
    }

    public var description: String { "--\(flag): \(reason)" }
}
