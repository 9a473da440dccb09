/// Lease and grace when the flags do not name them. `--fast-failover` trades renewal traffic
/// and tolerance of cut-off clients for shorter outages: Ganesha's reaper lifts grace at its
/// first tick after every client reclaimed, every lease/2 below a 20 s lease (every 10 s
/// above), and the Linux client retries NFS4ERR_GRACE with a back-off doubling from 0.1 s, so
/// new opens resume a few seconds after the lift (docs/kernel-client.md has the figures).
struct LeaseTimings {
    let lease: Int
    let grace: Int

    /// Ganesha's and Longhorn's defaults: a client may be cut off for a minute.
    static let standard = LeaseTimings(lease: 60, grace: 90)
    /// A tick every 2.5 s; grace three leases long, so a client that was mid-renewal still
    /// reclaims in time.
    static let fastFailover = LeaseTimings(lease: 5, grace: 15)
}
