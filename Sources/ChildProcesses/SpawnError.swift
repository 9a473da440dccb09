import SystemPackage

/// A child that could not be started, and the errno that said why.
public struct SpawnError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        /// No pipe could be made for its output (out of descriptors).
        case pipe
        /// fork or exec failed: a missing or non-executable binary, or no memory.
        case exec
    }

    public let executable: String
    public let step: Step
    public let errno: Errno

    public init(executable: String, step: Step, errno: Errno) {
        self.executable = executable
        self.step = step
        self.errno = errno
    }

    public var reason: String { step == .pipe ? "no pipe for its output: \(errno)" : errno.description }
    public var description: String { "cannot start \(executable): \(reason); is its package installed?" }
}
