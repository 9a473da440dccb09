import GaneshaControl

/// Which of the addresses Ganesha lists (`ShowClients`) are NFS clients. Ganesha lists every
/// address that sent it any RPC, our own readiness probe's NULL call included (seen: a fresh
/// instance lists `::ffff:127.0.0.1` with no protocol and no activity), so
/// `clients_connected` was never 0 under a kubelet. A NULL call counts toward no protocol
/// (Ganesha's `record_clnt_stats`: "we don't count NULL ops", in 4.x and later alike); a
/// client that did anything did: only addresses with a protocol flag on are clients. This
/// goes by what the address did, not by which address it is, so a real client on the
/// probe's address still counts.
enum NFSClients {
    static func served(_ records: [NFSClientRecord]) -> [NFSClientRecord] {
        records.filter { !$0.activeProtocols.isEmpty }
    }
}
