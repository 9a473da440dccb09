import Glibc
import Synchronization

/// Open files shared out among the listeners, so that a crowd of connections meets a
/// listener's own hard cap (which makes room) and never EMFILE (where accepting stops for
/// everyone, the kubelet included).
///
/// A container often starts with a soft RLIMIT_NOFILE of 1024 and a far higher hard one.
/// The soft limit is raised only as far as the listeners need (never past the hard one);
/// children inherit it, which Ganesha, the one child with many files, wants anyway.
enum OpenFileBudget {
    /// Left for everything else: the device, Ganesha's pipes, the bus, the tools we run.
    static let reserve = 256
    /// Granted to the listeners open now, and what they asked for.
    private static let shares = Mutex((granted: 0, wanted: 0))
    private static let openFiles = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)

    struct Grant {
        /// Connections this listener may hold.
        let connections: Int
        /// The soft RLIMIT_NOFILE afterwards.
        let limit: Int
        /// What the soft limit would need for every listener's full share: set when
        /// `connections` fell short.
        let shortOf: Int?
    }

    /// Up to `wanted` connections for one more listener, never fewer than `floor`.
    static func claim(_ wanted: Int, floor: Int) -> Grant {
        shares.withLock { shares in
            shares.wanted += wanted
            let needed = rlim_t(reserve + shares.granted + wanted)
            var limits = rlimit()
            guard getrlimit(openFiles, &limits) == 0 else {
                shares.granted += wanted
                return Grant(connections: wanted, limit: -1, shortOf: nil)
            }
            if limits.rlim_cur < needed {
                var raised = limits
                raised.rlim_cur = min(needed, limits.rlim_max)
                if setrlimit(openFiles, &raised) == 0 { limits = raised }
            }
            let soft = Int(clamping: limits.rlim_cur)
            let granted = max(floor, min(wanted, soft - reserve - shares.granted))
            shares.granted += granted
            return Grant(connections: granted, limit: soft, shortOf: granted < wanted ? reserve + shares.wanted : nil)
        }
    }

    /// A listener that closed gives its share back.
    static func release(granted: Int, wanted: Int) {
        shares.withLock {
            $0.granted -= granted
            $0.wanted -= wanted
        }
    }
}
