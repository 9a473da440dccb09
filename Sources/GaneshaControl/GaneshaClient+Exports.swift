import DBusKit

/// `org.ganesha.nfsd.exportmgr`: adding, changing, removing and listing exports.
extension GaneshaClient {
    /// Adds the export with `exportID` from the file at `configPath` (a file holding only
    /// EXPORT blocks) and returns Ganesha's answer, e.g. "1 exports added" (which may go on
    /// with ". Errors found: …" for problems Ganesha tolerated, such as an unresolvable host).
    ///
    /// Adding an active export fails with `.rejected` (`InvalidFileContent`, "already active").
    public func addExport(configPath: String, exportID: UInt16) async throws(GaneshaError) -> String {
        try await exportCommand("AddExport", configPath: configPath, exportID: exportID)
    }

    /// Applies the changed EXPORT block `exportID` from `configPath` to the active export and
    /// returns Ganesha's answer, e.g. "1 exports updated".
    public func updateExport(configPath: String, exportID: UInt16) async throws(GaneshaError) -> String {
        try await exportCommand("UpdateExport", configPath: configPath, exportID: exportID)
    }

    /// Removes export `id`; clients that still use it get "stale file handle". Id 0 (the
    /// pseudo root) and unknown ids fail with `.rejected` (`InvalidArgs`).
    public func removeExport(id: UInt16) async throws(GaneshaError) {
        _ = try await call(.exportManager, "RemoveExport", [.uint16(id)])
    }

    /// Export `id` as Ganesha holds it; an unknown id fails with `.rejected` (`InvalidArgs`).
    public func displayExport(id: UInt16) async throws(GaneshaError) -> ExportDetails {
        let reply = try await call(.exportManager, "DisplayExport", [.uint16(id)])
        return try ExportDetails(reply: GaneshaReply(method: "exportmgr.DisplayExport", reply: reply))
    }

    /// The exports Ganesha serves, the pseudo root (id 0) included.
    public func showExports() async throws(GaneshaError) -> [GaneshaExport] {
        let reply = GaneshaReply(method: "exportmgr.ShowExports", reply: try await call(.exportManager, "ShowExports"))
        // The export list is the first array, whatever comes around it.
        guard let index = reply.values.firstIndex(where: { $0.elements != nil }) else { throw reply.malformed }
        return try reply.decodeArray(index, GaneshaExport.init(wire:))
    }

    private func exportCommand(_ method: String, configPath: String, exportID: UInt16) async throws(GaneshaError) -> String {
        let selector = "export(export_id=\(exportID))"
        let reply = try await call(.exportManager, method, [.string(configPath), .string(selector)])
        return try GaneshaReply(method: "exportmgr.\(method)", reply: reply).decode(0, \.string)
    }
}
