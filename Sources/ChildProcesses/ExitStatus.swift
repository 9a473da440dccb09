import Glibc
import LinuxSupport

/// How a child ended.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signalled(let sig): "was killed by signal \(sig)"
        }
    }

    /// The status as a shell reports it: the exit code, or 128 + the signal, never a
    /// success code for a killed child.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signalled(let sig): 128 + sig
        }
    }

    /// The one decoder of a wait status: WIFEXITED / WTERMSIG by hand, because the C macros
    /// do not import into Swift.
    init(waitStatus raw: Int32) {
        let signal = raw & 0x7F
        self = signal == 0 ? .exited((raw >> 8) & 0xFF) : .signalled(signal)
    }

    /// Blocks until the child `pid` ends and reaps it. Waits on that pid only, never
    /// `waitpid(-1)`, which would steal other children's statuses. Only a child someone else
    /// reaped fails (ECHILD); it reads as status 0, as it always has, since nothing is left
    /// to learn about it.
    static func reap(_ pid: pid_t) -> ExitStatus {
        var raw: Int32 = 0
        _ = try? retryingInterrupts { waitpid(pid, &raw, 0) }
        return ExitStatus(waitStatus: raw)
    }
}
