import FoundationEssentials
import Glibc
import GaneshaConfig

/// Where the control API listens. The unix socket is always there (its mode is the
/// authentication); TCP only with a bearer token, because anyone on the Pod network can
/// reach a port.
public struct ControlSettings: Sendable {
    public struct TCP: Sendable {
        public var address: NetworkAddress
        public var port: Int
        public var token: [UInt8]
    }

    public var socket: SafePath
    public var tcp: TCP?

    /// A token shorter than this is guessable; longer ones are pointless and make the file a
    /// place to hide other data.
    static let tokenLengths = 16...512
}

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

    /// The token file must be private to its owner, like an ssh key, and hold one line of
    /// printable ASCII.
    static func readToken(_ path: String) throws(ValidationError) -> [UInt8] {
        func refuse(_ reason: String) -> ValidationError { ValidationError(flag: "control-token-file", reason: "\(path): \(reason)") }
        var info = stat()
        guard stat(path, &info) == 0 else { throw refuse("cannot read it (\(String(cString: strerror(errno))))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw refuse("is not a regular file") }
        guard info.st_mode & 0o077 == 0 else { throw refuse("is readable by others; chmod 600 it") }
        guard info.st_size <= 4096, let data = FileManager.default.contents(atPath: path) else {
            throw refuse("is not a token file (over 4 KiB or unreadable)")
        }
        var bytes = Array(data)
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
