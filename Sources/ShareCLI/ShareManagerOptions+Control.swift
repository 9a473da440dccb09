import GaneshaConfig
import Glibc
import RunSettings

extension ShareManagerOptions {
    func resolveControl(stateDir: SafePath) throws(ValidationError) -> ControlSettings {
        // A unix socket path has at most 107 bytes.
        let socket = try SafePath(validating: controlSocket ?? stateDir.appending("control.sock"), flag: "control-socket", maxLength: 107)
        guard controlPort != 0 else {
            if controlTokenFile != nil {
                throw ValidationError(flag: "control-token-file", reason: "is only used with --control-port")
            }
            return ControlSettings(socket: socket)
        }
        let port = Int(try RangeCheck.port(controlPort, flag: "control-port"))
        let address = try NetworkAddress(validating: controlAddress, flag: "control-address")
        guard let file = controlTokenFile else {
            throw ValidationError(flag: "control-port", reason: "needs --control-token-file: the TCP control API never runs without a token")
        }
        let token = try Self.readToken(try SafePath(validating: file, flag: "control-token-file").value)
        return ControlSettings(socket: socket, tcp: .init(address: address, port: port, token: token))
    }

    /// The token file must be root's and private to it, like an ssh key, and hold one line of
    /// printable ASCII. A link is followed (a Kubernetes Secret volume is made of links); the
    /// file checked is the file read, through one descriptor.
    static func readToken(_ path: String) throws(ValidationError) -> [UInt8] {
        func refuse(_ reason: String) -> ValidationError { ValidationError(flag: "control-token-file", reason: "\(path): \(reason)") }
        // O_NONBLOCK: a FIFO in its place must not hang the start.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else { throw refuse("cannot read it (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw refuse("cannot read it (\(String(cString: strerror(errno))))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw refuse("is not a regular file") }
        guard info.st_uid == 0 || info.st_uid == geteuid() else {
            throw refuse("is owned by uid \(info.st_uid), not root, who could change the token; chown root and chmod 600 it")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw refuse("is open to group or others (mode 0\(String(info.st_mode & 0o7777, radix: 8))); chmod 600 it")
        }
        var buffer = [UInt8](repeating: 0, count: 4097)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count >= 0, count <= 4096, info.st_size <= 4096 else {
            throw refuse("is not a token file (over 4 KiB or unreadable)")
        }
        var bytes = Array(buffer.prefix(count))
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard bytes.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw refuse("the token must be one line of printable ASCII without spaces")
        }
        guard ControlSettings.tokenLengths.contains(bytes.count) else {
            throw refuse("the token must be \(ControlSettings.tokenLengths.lowerBound)-\(ControlSettings.tokenLengths.upperBound) characters")
        }
        return bytes
    }
}
