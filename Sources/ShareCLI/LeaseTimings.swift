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
    /// A reaper tick every 3.5 s; grace three leases long, so a client that was mid-renewal
    /// still reclaims in time. Not 5: the Linux client renews at 2/3 of the lease but never
    /// sooner than 5 s after the last renewal, so at lease 5 an idle client's lease expires
    /// again and again (a new client ID about every 5 s); 7 leaves it 2 s. Not 8: its 4 s tick
    /// lifts grace just after the client's NFS4ERR_GRACE retry at 4.1 s from a restart, and the
    /// next retry comes at 7.3 s (measured 7.20 s in every run, against 3.80 s at 7).
    static let fastFailover = LeaseTimings(lease: 7, grace: 21)
}
