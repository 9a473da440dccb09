import Foundation
import GaneshaConfig
@testable import ShareAPI
@testable import ShareCLI
@testable import ShareManager
@testable import RunSettings
import SupervisorInterface
import Testing
import TestSupport

/// Issue 16 rows 2 and 13 at the unit level: directories and a token file that someone other
/// than root can write are refused; a key sent twice in a control body is refused.
@Suite("trusted paths and the token file's owner")
struct TrustedPathTests {
    static let nobody: uid_t = 65534

    private func folder(_ dir: TemporaryDirectory, _ name: String, mode: mode_t, owner: uid_t = 0) throws -> String {
        let path = dir.file(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chmod(path, mode)
        chown(path, owner, 0)
        return path
    }

    private func refusal(_ path: String, last: TrustedPath.Last = .privateDirectory) -> String? {
        do {
            try TrustedPath.check(path, flag: "state-dir", last: last)
            return nil
        } catch {
            return error.description
        }
    }

    @Test("a state dir or a parent others can write, or owned by another uid, is refused and named")
    func refused() throws {
        let dir = try TemporaryDirectory(prefix: "sm-trusted")
        defer { dir.remove() }
        let open = try folder(dir, "open", mode: 0o777)
        #expect(refusal(open)?.contains("\(open) is open to group or others (mode 0777)") == true, "\(String(describing: refusal(open)))")
        let readable = try folder(dir, "readable", mode: 0o755)
        #expect(refusal(readable)?.contains("mode 0755") == true)
        #expect(refusal(readable, last: .notWritableByOthers) == nil, "a recovery dir need not be private")
        let theirs = try folder(dir, "theirs", mode: 0o700, owner: Self.nobody)
        #expect(refusal(theirs)?.contains("owned by uid 65534") == true)
        let openParent = try folder(dir, "shared", mode: 0o777)
        #expect(refusal(openParent + "/state")?.contains("\(openParent) is writable by group or others") == true)
        let groupParent = try folder(dir, "group", mode: 0o770)
        #expect(refusal(groupParent + "/state") != nil)
        let theirParent = try folder(dir, "their-parent", mode: 0o755, owner: Self.nobody)
        #expect(refusal(theirParent + "/state")?.contains("\(theirParent) is owned by uid 65534") == true)
        // A link only its owner can change: a link of another user's is refused even to a good folder.
        let good = try folder(dir, "good", mode: 0o700)
        symlink(good, dir.file("their-link"))
        lchown(dir.file("their-link"), Self.nobody, 0)
        #expect(refusal(dir.file("their-link"))?.contains("owned by uid 65534") == true)
        symlink(open, dir.file("link-to-open"))
        #expect(refusal(dir.file("link-to-open"))?.contains("\(open) is open to group or others") == true)
        symlink(dir.file("nowhere"), dir.file("dangling"))
        #expect(refusal(dir.file("dangling"))?.contains("leads nowhere") == true)
        try "x".write(toFile: dir.file("file"), atomically: false, encoding: .utf8)
        #expect(refusal(dir.file("file"))?.contains("is not a directory") == true)
    }

    @Test("accepted: root's private dir, a missing one under trusted parents, a sticky parent, a root link")
    func accepted() throws {
        let dir = try TemporaryDirectory(prefix: "sm-trusted")
        defer { dir.remove() }
        #expect(refusal(try folder(dir, "private", mode: 0o700)) == nil)
        #expect(refusal(dir.file("missing/deeper/state")) == nil)
        let sticky = try folder(dir, "sticky", mode: 0o1777)
        #expect(refusal(sticky + "/state") == nil, "a root-owned sticky folder, as /tmp")
        #expect(refusal(sticky) != nil, "but the state dir itself gets no such pass")
        symlink(dir.file("private"), dir.file("root-link"))
        #expect(refusal(dir.file("root-link")) == nil)
    }

    @Test("prepare creates a missing state dir as root's, 0700, and refuses an open one untouched")
    func prepare() throws {
        let dir = try TemporaryDirectory(prefix: "sm-trusted")
        defer { dir.remove() }
        let state = dir.file("run/state")
        try TrustedPath.prepare(state, flag: "state-dir", last: .privateDirectory)
        let made = try FileManager.default.attributesOfItem(atPath: state)
        #expect((made[.posixPermissions] as? Int) == 0o700 && (made[.ownerAccountID] as? Int) == 0)
        let open = try folder(dir, "open", mode: 0o777)
        #expect(throws: ValidationError.self) { try TrustedPath.prepare(open + "/state", flag: "state-dir", last: .privateDirectory) }
        #expect(!FileManager.default.fileExists(atPath: open + "/state"))
    }

    @Test("the token file must be root's: another owner, group or other access, or a link to such a file is refused")
    func tokenOwner() throws {
        let dir = try TemporaryDirectory(prefix: "sm-token-owner")
        defer { dir.remove() }
        func file(_ name: String, mode: mode_t = 0o600, owner: uid_t = 0) throws -> String {
            let path = dir.file(name)
            try "0123456789abcdef0123".write(toFile: path, atomically: false, encoding: .utf8)
            chmod(path, mode)
            chown(path, owner, 0)
            return path
        }
        func reason(_ path: String) -> String? {
            do { _ = try ShareManagerOptions.readToken(path); return nil } catch { return error.description }
        }
        #expect(reason(try file("theirs", owner: Self.nobody))?.contains("owned by uid 65534") == true)
        #expect(reason(try file("group", mode: 0o640))?.contains("mode 0640") == true)
        #expect(reason(try file("other", mode: 0o604))?.contains("mode 0604") == true)
        symlink(try file("their-target", owner: Self.nobody), dir.file("link-to-theirs"))
        #expect(reason(dir.file("link-to-theirs"))?.contains("owned by uid 65534") == true)
        // A Kubernetes Secret volume is links to root's files: followed, the target checked.
        symlink(try file("root-target"), dir.file("link-to-root"))
        #expect(reason(dir.file("link-to-root")) == nil)
        mkfifo(dir.file("fifo"), 0o600)
        #expect(reason(dir.file("fifo"))?.contains("not a regular file") == true)
    }
}
