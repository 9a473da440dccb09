import DBusKit

/// `org.ganesha.nfsd.exportstats` and `org.ganesha.nfsd.clientstats`: counters, and the
/// switches that turn them on.
///
/// These methods answer a refusal in-band (`b false, s message`), e.g. "Export id not
/// found", "Export does not have any NFSv4.1 activity" or "Client IP address not found";
/// that arrives as `.rejected` with the name ``GaneshaError/inBandFailure``.
extension GaneshaClient {
    /// Server-wide request counts per protocol.
    public func globalOperations() async throws(GaneshaError) -> GlobalOperations {
        let reply = try await callReportingStatus(.exportStatistics, "GetGlobalOPS")
        return GlobalOperations(
            counts: try reply.decode(1, GlobalOperations.counts(wire:)), since: try reply.decode(0, GaneshaTimestamp.init(wire:)))
    }

    /// The I/O of export `exportID` over `version`. An export no client has used over that
    /// version is refused ("does not have any … activity"); ``allExportIO()`` lists only
    /// what has been used, without refusals.
    public func exportIO(_ version: NFSVersion, exportID: UInt16) async throws(GaneshaError) -> IOStatistics {
        try IOStatistics(reply: try await callReportingStatus(.exportStatistics, version.ioMethod, [.uint16(exportID)]))
    }

    /// The I/O of every export over every NFS version it has served (`GetNFSIO`).
    public func allExportIO() async throws(GaneshaError) -> [ExportProtocolIO] {
        let reply = try await callReportingStatus(.exportStatistics, "GetNFSIO")
        let since = try reply.decode(0, GaneshaTimestamp.init(wire:))
        return try reply.decodeArray(1) { ExportProtocolIO(wire: $0, since: since) }
    }

    /// The I/O of the client at `address` over `version`. `address` is spelled as
    /// ``NFSClientRecord/address`` is (`::ffff:a.b.c.d` for IPv4): `a.b.c.d` is not found.
    public func clientIO(_ version: NFSVersion, address: String) async throws(GaneshaError) -> IOStatistics {
        try IOStatistics(reply: try await callReportingStatus(.clientStatistics, version.ioMethod, [.string(address)]))
    }

    /// The clients Ganesha keeps statistics for (`clientmgr.ShowClients`), connected or not.
    public func showClients() async throws(GaneshaError) -> [NFSClientRecord] {
        let reply = GaneshaReply(method: "clientmgr.ShowClients", reply: try await call(.clientManager, "ShowClients"))
        guard let index = reply.values.firstIndex(where: { $0.elements != nil }) else { throw reply.malformed }
        return try reply.decodeArray(index, NFSClientRecord.init(wire:))
    }

    /// Which statistics are being counted.
    public func statisticsStatus() async throws(GaneshaError) -> StatisticsStatus {
        try StatisticsStatus(reply: try await callReportingStatus(.exportStatistics, "StatusStats"))
    }

    /// Starts counting `kind`; returns when Ganesha switched it on (now, or earlier when it
    /// already was on). Ganesha refuses the detailed kinds while basic NFS counting is off.
    @discardableResult
    public func enableStatistics(_ kind: StatisticsKind) async throws(GaneshaError) -> GaneshaTimestamp {
        let reply = try await callReportingStatus(.exportStatistics, "EnableStats", [.string(kind.rawValue)])
        return try reply.decode(0, GaneshaTimestamp.init(wire:))
    }

    /// Stops counting `kind` and zeroes its counters.
    public func disableStatistics(_ kind: StatisticsKind) async throws(GaneshaError) {
        _ = try await callReportingStatus(.exportStatistics, "DisableStats", [.string(kind.rawValue)])
    }

    /// Zeroes every counter; returns the time counting restarted.
    @discardableResult
    public func resetStatistics() async throws(GaneshaError) -> GaneshaTimestamp {
        try await callReportingStatus(.exportStatistics, "ResetStats").decode(0, GaneshaTimestamp.init(wire:))
    }
}
