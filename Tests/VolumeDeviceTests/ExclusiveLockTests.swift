import Foundation
import Testing
import TestSupport
@testable import VolumeDevice

@Suite("The device claim's lock")
struct ExclusiveLockTests {
    /// A child forked by another thread holds a copy of every descriptor until its exec (the
    /// dup here stands for it, deterministically): a release must free the lock anyway, or
    /// the next claim of the same device finds it "held by another process" that
    /// /proc/locks no longer names a moment later.
    @Test("a release frees the lock while a copy of its descriptor is still open elsewhere")
    func releaseWithCopyOpen() throws {
        try withLockedFile { path, first in
            let copy = dup(try #require(first.fd))
            try #require(copy >= 0)
            defer { close(copy) }
            first.release()
            guard case .taken(let second) = try ExclusiveLock.take(path) else {
                Issue.record("the lock stayed held after its release, through the copy of its descriptor")
                return
            }
            second.release()
        }
    }

    @Test("a lock held through another open of the file is reported held, and its holder named")
    func heldByAnother() throws {
        try withLockedFile { path, _ in
            guard case .held(let holder) = try ExclusiveLock.take(path) else {
                Issue.record("a second open took the lock")
                return
            }
            #expect(holder.contains("pid \(getpid())"), "\(holder)")
        }
    }

    /// A fresh file, locked by a first take, which is released afterwards.
    private func withLockedFile(_ body: (String, ExclusiveLock) throws -> Void) throws {
        let folder = try TemporaryDirectory(prefix: "sm-lock")
        defer { folder.remove() }
        let path = folder.file("device")
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard case .taken(let first) = try ExclusiveLock.take(path) else { throw FixtureError("the first take found the lock held") }
        defer { first.release() }
        try body(path, first)
    }
}
