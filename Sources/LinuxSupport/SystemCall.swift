import Glibc
import SystemPackage

// The one POSIX layer of the package. Errors are swift-system's `Errno`: typed, so a caller
// branches on `.resourceBusy` rather than on text, and its description is strerror's; the
// package already builds it for swift-nio. EINTR is retried here and nowhere else: swift-system
// retries only inside its own wrappers and has none for mount, umount2, flock, ioctl, waitpid,
// poll or connect, which we call too, so one helper of ours covers every call alike.

/// Calls `call` again while it fails with EINTR; any other failure (-1) is thrown as its errno.
public func retryingInterrupts<Result: FixedWidthInteger & SignedInteger>(_ call: () -> Result) throws(Errno) -> Result {
    while true {
        let result = call()
        if result != -1 { return result }
        let failure = Errno.last
        if failure != .interrupted { throw failure }
    }
}

extension Errno {
    /// The calling thread's errno, as the call that just failed set it.
    public static var last: Errno { Errno(rawValue: errno) }
}

/// A system call that failed on a path: which call, on what, and why.
public struct SystemCallError: Error, Sendable, Equatable, CustomStringConvertible {
    public let call: String
    public let path: String
    public let errno: Errno

    public init(_ call: String, path: String, errno: Errno) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var description: String { "\(call) \(path) failed: \(errno)" }
}

/// An error type that can carry a `SystemCallError`, so that `SystemCalls<Failure>` throws
/// each module's own error type and its call sites need no conversion.
public protocol SystemCallFailure: Error {
    init(_ failure: SystemCallError)
}

extension SystemCallError: SystemCallFailure {
    public init(_ failure: SystemCallError) { self = failure }
}
