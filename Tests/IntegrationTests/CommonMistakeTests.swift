import Foundation
import Glibc
import Testing
import TestSupport

/// Issue 20 item 5: the common mistakes each get one clear line and a non-zero exit, and
/// nothing on the device changes.
@Suite("common mistakes: one line, non-zero exit, device untouched", .serialized, .timeLimit(.minutes(3)))
struct CommonMistakeTests {
    /// A listener of the test's own on a free loopback port: the port "someone else" took.
    final class Squatter {
        let fd: Int32
        let port: UInt16

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard bound else { close(fd); throw POSIXError(.EADDRINUSE) }
            self.fd = fd
            port = UInt16(bigEndian: address.sin_port)
        }

        deinit { close(fd) }
    }

    /// Starts share-manager with `extra` on a blank image and expects it to refuse.
    func expectOneLine(_ extra: [String], mentioning words: [String], prefix: String) async throws {
        try await withImage(prefix: prefix) { dir, image in
            let before = try await sha256(ofFile: image)
            var sm = try ShareManagerUnderTest(volume: "vol-mistake", dir: dir, image: image)
            sm.extra = extra
            let process = try sm.start(name: "mistake")
            let status = try await stoppingAfterwards(process) { await process.wait(timeout: .seconds(30)) }
            #expect(status == 1, "not refused with exit 1:\n\(process.output)")
            let errors = try String(contentsOfFile: process.stderrPath, encoding: .utf8).split(separator: "\n")
                .filter { $0.contains(" level=error ") || $0.hasPrefix("share-manager: error:") }
            #expect(errors.count == 1, "expected one error line:\n\(process.output)")
            for word in words { #expect(errors.first?.contains(word) == true, "the error does not say '\(word)':\n\(process.output)") }
            for internals in ["IOError", "bind(descriptor", "errno:", "NIO", "Error Domain"] {
                #expect(errors.first?.contains(internals) == false, "Swift internals in the error:\n\(process.output)")
            }
            #expect(!process.output.contains("Ganesha started"), "Ganesha was started:\n\(process.output)")
            #expect(try await sha256(ofFile: image) == before, "the image changed")
            #expect(!SystemState.isMounted(sm.mountPoint))
            #expect(SystemState.loopDevices(backing: image).isEmpty)
        }
    }

    @Test("an NFS port already taken is named with the port before anything is done", .realParts())
    func nfsPortTaken() async throws {
        let squatter = try Squatter()
        try await expectOneLine(["--nfs-port", String(squatter.port)], mentioning: ["NFS port \(squatter.port)", "already in use", "--nfs-port"], prefix: "sm-nfsport")
    }

    @Test("an HTTP port in use: one line naming it, without Swift internals", .realParts())
    func httpPortTaken() async throws {
        let squatter = try Squatter()
        try await expectOneLine(["--http-port", String(squatter.port)], mentioning: ["127.0.0.1:\(squatter.port) is already in use", "--http-port"], prefix: "sm-httpport")
    }

    @Test("not root: one line naming the capabilities, exit 1, nothing created", .realParts(extraTools: ["setpriv"]))
    func notRoot() async throws {
        let dir = try TemporaryDirectory(prefix: "sm-noroot")
        defer { dir.remove() }
        // Readable by the unprivileged user, as /var/run is: the flags pass, the capability check speaks.
        try #require(chmod(dir.path, 0o755) == 0)
        let result = try await runCommand([
            "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", Binaries.shareManager, "run",
            "--volume", "vol-noroot", "--device", dir.file("volume.img"), "--mount-point", dir.file("mnt"),
            "--state-dir", dir.file("state"), "--http-address", "127.0.0.1", "--http-port", "0",
        ])
        #expect(result.status == 1, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(lines.first?.hasPrefix("share-manager: error: share-manager lacks CAP_SYS_ADMIN") == true, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
