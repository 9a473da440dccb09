import DBusKit
import Foundation
import GaneshaControl
import Testing
import TestSupport

extension Trait where Self == ConditionTrait {
    /// Root, Ganesha and a bus daemon; see ``RealParts``.
    static var ganeshaParts: Self { .needs(.root, .tools(["ganesha.nfsd", "dbus-daemon"])) }
    /// The same and the NFSv4.1 test client.
    static var nfsClientParts: Self { .needs(.root, .tools(["ganesha.nfsd", "dbus-daemon"]), .nfsClient) }
}

/// Runs `body` against a fresh Ganesha on its own bus, once it owns its name and
/// listens; stops Ganesha and the bus by PID whatever `body` does.
func withGanesha(
    callTimeout: Duration = .seconds(5), _ body: (GaneshaFixture, GaneshaClient) async throws -> Void
) async throws {
    let ganesha = try await GaneshaFixture.start()
    do {
        let connection = try await DBusConnection.connect(address: ganesha.bus.address, timeout: .seconds(5))
        defer { connection.close() }
        let client = GaneshaClient(connection: connection, callTimeout: callTimeout)
        try await ganesha.waitUntilReady { (try? await client.isRegistered()) == true }
        do {
            try await body(ganesha, client)
        } catch {
            print(ganesha.diagnostics)
            throw error
        }
    } catch {
        await ganesha.stop()
        throw error
    }
    await ganesha.stop()
}

extension GaneshaFixture {
    /// Adds export 1 at `/vol` and returns its file and path.
    func addExport(with client: GaneshaClient) async throws -> (file: String, path: String) {
        let export = try writeExport()
        _ = try await client.addExport(configPath: export.file, exportID: 1)
        return export
    }

    /// Writes an export file holding one NFSv4 VFS export of a fresh folder, as
    /// share-manager keeps its export apart from the main config; returns (file, exported path).
    func writeExport(id: UInt16 = 1, pseudo: String = "/vol") throws -> (file: String, path: String) {
        let exported = directory.file("export-\(id)")
        try FileManager.default.createDirectory(atPath: exported, withIntermediateDirectories: true)
        let file = directory.file("export-\(id).conf")
        let block = """
            EXPORT {
                Export_Id = \(id);
                Path = \(exported);
                Pseudo = \(pseudo);
                Filesystem_Id = 1.1;
                Access_Type = RW;
                Squash = No_Root_Squash;
                Protocols = 4;
                Transports = TCP;
                SecType = sys;
                FSAL { Name = VFS; }
            }

            """
        try block.write(toFile: file, atomically: true, encoding: .utf8)
        return (file, exported)
    }
}

/// The `.rejected` error `body` throws, or nil (recording an issue) when it throws
/// something else or nothing.
func rejection(
    _ body: () async throws(GaneshaError) -> some Any, sourceLocation: SourceLocation = #_sourceLocation
) async -> (method: String, name: String, message: String)? {
    do {
        _ = try await body()
        Issue.record("expected .rejected, but the call succeeded", sourceLocation: sourceLocation)
    } catch .rejected(let method, let name, let message) {
        return (method, name, message)
    } catch {
        Issue.record("expected .rejected, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
