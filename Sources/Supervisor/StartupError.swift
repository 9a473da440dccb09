import VolumeDevice

/// Why a run could not start; each says what to do next. Carried up to `run`, which logs it
/// once and exits 1.
enum StartupError: Error, CustomStringConvertible {
    case stopped
    case device(DeviceError)
    case stateDir(String, String)
    case busDidNotStart(String)
    case ganeshaDidNotStart(String)
    /// It exited during its start (a crash, a kill, or a pinned port taken meanwhile, which
    /// `startGanesha` checks before the next attempt).
    case ganeshaExitedAtStart(String)
    case exportFailed(String)
    /// The pinned NFS port is taken: found before anything else is done.
    case nfsPortUnavailable(address: String, port: UInt16, why: String)

    var description: String {
        switch self {
        case .stopped: "stopped by a signal during start-up"
        case .device(let error): "\(error)"
        case .stateDir(let path, let why): "cannot write the state directory \(path): \(why); check --state-dir"
        case .busDidNotStart(let why): "the private D-Bus daemon did not start: \(why)"
        case .ganeshaDidNotStart(let why), .ganeshaExitedAtStart(let why): "Ganesha did not start: \(why); its earlier log lines above say more"
        case .exportFailed(let why): "Ganesha refused the export: \(why)"
        case .nfsPortUnavailable(let address, let port, let why):
            "NFS port \(port) on \(address) \(why); stop what listens there (ss -ltnp 'sport = :\(port)') or choose another --nfs-port (0 lets Ganesha pick)"
        }
    }
}
