import Foundation
import Testing
import TestSupport

/// Hostile values through the real binary, as an operator's typo or a compromised manifest
/// would give them: `run` refuses each with exit 2 and one line before touching anything,
/// and `render` prints nothing at all.
@Suite("Hostile flags and environment variables", .timeLimit(.minutes(5)))
struct HostileFlagsTests {
    /// A parse error costs this debug build ~0.3 s of CPU (ArgumentParser checks itself);
    /// ninety rows spawning at once on two cores would starve each other past any timeout.
    static let gate = Gate(limit: 6)

    @Test("refused: exit 2, one line naming the flag, device and state untouched", .realParts(), arguments: HostileFlag.rows)
    func refused(_ row: HostileFlag) async throws {
        try await Self.gate.run { try await refusedRow(row) }
    }

    private func refusedRow(_ row: HostileFlag) async throws {
        try await withImage(prefix: "sm-hostile-flag", size: "4M") { dir, image in
            let outputs = dir.file("out")
            try FileManager.default.createDirectory(atPath: outputs, withIntermediateDirectories: true)
            try writeToken(row.token, to: dir.file("token"))
            try plant(row.planted, in: dir)
            let plantedBefore = plantedState(row.planted, in: dir)
            try row.fixture?.make(in: dir.path)
            let fixtureBefore = try await RawHTTP.offPoolThrowing { try row.fixture?.snapshot(in: dir.path) }
            let controlPort = try freeTCPPort()
            let untouched = await UntouchedImage(image)
            let blamed = "--" + (row.blamed ?? row.flag)

            let run = try await RawProcess.run(
                argv("run", row, dir: dir, controlPort: controlPort), environment: environment(row, dir: dir, controlPort: controlPort),
                outputs: outputs, name: "run", timeout: .seconds(60)
            )
            #expect(run.status == 2, "exit \(String(describing: run.status)); stderr:\n\(run.stderr)")
            #expect(run.stderrLines.count == 1, "not one line:\n\(run.stderr)")
            #expect(run.stderr.hasPrefix("share-manager: error: ") && run.stderr.contains(blamed), "does not name \(blamed): \(run.stderr)")
            #expect(run.stderr.utf8.count < 4096, "the error line echoes too much (\(run.stderr.utf8.count) bytes)")
            #expect(!run.stderr.dropLast().unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "control characters reach the terminal")
            #expect(run.stdout.isEmpty, "stdout: \(run.stdout)")
            if !row.planted.isEmpty {
                // Which path, and what to do about it.
                #expect(run.stderr.contains(dir.path + "/") && ["chmod", "chown", "choose another"].contains { run.stderr.contains($0) }, "\(run.stderr)")
            }
            await untouched.expectUntouched(row.attack, mountPoint: dir.file("mnt"))
            if row.flag == "mount-point" {
                let given = HostileFlag.fill(row.value, dir.path, controlPort)
                #expect(!MountInfo.isMounted(given), "\(row.attack): \(given) is mounted")
            }
            #expect(!FileManager.default.fileExists(atPath: dir.file("mnt")), "the mount point was created")
            #expect(!FileManager.default.fileExists(atPath: dir.file("state")), "the state dir was created")
            let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path))
            #expect(left.isSubset(of: Set(["volume.img", "token", "out"] + row.planted.map(\.name)).union(row.fixture?.names ?? [])), "files appeared: \(left.sorted())")
            #expect(plantedState(row.planted, in: dir) == plantedBefore, "what the row planted was changed")
            let fixtureAfter = try await RawHTTP.offPoolThrowing { try row.fixture?.snapshot(in: dir.path) }
            #expect(fixtureAfter == fixtureBefore, "the run changed the folders it was given")

            // render shares the validation: nothing rendered means nothing injected.
            let render = try await RawProcess.run(
                argv("render", row, dir: dir, controlPort: controlPort), environment: environment(row, dir: dir, controlPort: controlPort),
                outputs: outputs, name: "render", timeout: .seconds(60)
            )
            #expect(render.status == 2, "render exit \(String(describing: render.status)); stderr:\n\(render.stderr)")
            #expect(render.stderrLines.count == 1, "render, not one line:\n\(render.stderr)")
            #expect(render.stdout.isEmpty, "render printed:\n\(render.stdout)")
            // Only if a value was wrongly accepted is there anything to release.
            await RawHTTP.offPool { MountInfo.release(folder: dir.path, image: image) }
        }
    }

    @Test("render of legal values quotes only validated tokens (control for the rows above)")
    func renderLegal() async throws {
        let dir = try TemporaryDirectory(prefix: "sm-hostile-render")
        defer { dir.remove() }
        let render = try await RawProcess.run(
            [Array(Binaries.shareManager.utf8)] + [
                "render", "--volume=pvc-legal", "--mount-point=\(dir.path)/mnt", "--state-dir=\(dir.path)/state",
                "--allowed-clients= 10.0.0.0/8 , Host-A.example ,::1", "--squash=ROOT", "--anonymous-uid=65534",
            ].map { Array($0.utf8) },
            environment: [Array("PATH=/usr/sbin:/usr/bin:/sbin:/bin".utf8)], outputs: dir.path, name: "render", timeout: .seconds(20)
        )
        #expect(render.status == 0, "\(render.stderr)")
        #expect(render.stdout.contains("Clients = 10.0.0.0/8, host-a.example, ::1;"), "\(render.stdout)")
        #expect(render.stdout.components(separatedBy: "EXPORT").count == 2, "one EXPORT block expected:\n\(render.stdout)")
        #expect(!render.stdout.contains("%include /etc"))
    }

    private func argv(_ command: String, _ row: HostileFlag, dir: TemporaryDirectory, controlPort: UInt16) throws -> [[UInt8]] {
        var flags: [(String, [UInt8])] = [
            ("volume", "vol-hostile"), ("device", dir.file("volume.img")), ("mount-point", dir.file("mnt")),
            ("state-dir", dir.file("state")), ("nfs-address", "127.0.0.1"), ("nfs-port", "0"),
            ("http-address", "127.0.0.1"), ("http-port", "0"),
        ].map { ($0.0, Array($0.1.utf8)) }
        // A row's own value for a default flag replaces it.
        flags.removeAll { row.with.keys.contains($0.0) }
        for (name, value) in row.with {
            flags.append((name, Array(HostileFlag.fill(value, dir.path, controlPort).utf8)))
        }
        // A flag wins over its variable, so the row's entry point must be the only one.
        flags.removeAll { $0.0 == row.flag }
        if row.entry == .flag { flags.append((row.flag, row.bytes(dir: dir.path, controlPort: controlPort))) }
        // The `=` form keeps a value such as "-1" from being read as a flag.
        return [Array(Binaries.shareManager.utf8), Array(command.utf8)] + flags.map { Array("--\($0.0)=".utf8) + $0.1 }
    }

    private func environment(_ row: HostileFlag, dir: TemporaryDirectory, controlPort: UInt16) -> [[UInt8]] {
        var environment = [Array("PATH=/usr/sbin:/usr/bin:/sbin:/bin".utf8)]
        if row.entry == .environment {
            let name = "SHARE_MANAGER_" + row.flag.uppercased().replacingOccurrences(of: "-", with: "_")
            environment.append(Array("\(name)=".utf8) + row.bytes(dir: dir.path, controlPort: controlPort))
        }
        return environment
    }

    private func plant(_ planted: [Planted], in dir: TemporaryDirectory) throws {
        for item in planted {
            let path = dir.file(item.name)
            switch item.kind {
            case .folder:
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            case .file:
                try Data("0123456789abcdef0123456789abcdef".utf8).write(to: URL(fileURLWithPath: path))
            case .link(let target):
                try #require(symlink(target, path) == 0)
            }
            if case .link = item.kind {} else { try #require(chmod(path, item.mode) == 0) }
            try #require(lchown(path, item.owner, 0) == 0)
        }
    }

    /// Mode, owner and entries of each planted thing: a refused run leaves them as they were.
    private func plantedState(_ planted: [Planted], in dir: TemporaryDirectory) -> [String] {
        planted.map { item in
            var info = stat()
            lstat(dir.file(item.name), &info)
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir.file(item.name)))?.sorted() ?? []
            return "\(item.name) \(String(info.st_mode, radix: 8)) \(info.st_uid) \(entries)"
        }
    }

    private func writeToken(_ token: TokenFile?, to path: String) throws {
        guard let token else { return }
        if token.isDirectory {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            return
        }
        try Data(token.content.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, token.mode)
    }
}
