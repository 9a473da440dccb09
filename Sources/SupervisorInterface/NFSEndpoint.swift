/// The address and port Ganesha really listens on. With `--nfs-port 0` Ganesha picks the
/// port and does not say which, so it is read from the kernel's socket tables.
public struct NFSEndpoint: Codable, Sendable, Equatable {
    public var volume: String
    public var address: String
    public var port: UInt16
    /// Ganesha's pid when the endpoint was read: a manager can tell a restart happened.
    public var pid: Int32

    public init(volume: String, address: String, port: UInt16, pid: Int32) {
        self.volume = volume
        self.address = address
        self.port = port
        self.pid = pid
    }
}
