import GaneshaConfig

/// Where the control API listens. The unix socket is always there (its mode is the
/// authentication); TCP only with a bearer token, because anyone on the Pod network can
/// reach a port.
public struct ControlSettings: Sendable {
    public struct TCP: Sendable {
        public var address: NetworkAddress
        public var port: Int
        public var token: [UInt8]

        public init(address: NetworkAddress, port: Int, token: [UInt8]) {
            self.address = address
            self.port = port
            self.token = token
        }
    }

    public var socket: SafePath
    public var tcp: TCP?

    /// A token shorter than this is guessable; longer ones are pointless and make the file a
    /// place to hide other data.
    public static let tokenLengths = 16...512

    public init(socket: SafePath, tcp: TCP? = nil) {
        self.socket = socket
        self.tcp = tcp
    }
}
