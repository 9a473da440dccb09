/// What a probe found on a device.
public enum DeviceContent: Sendable, Equatable {
    /// No signature and only zero bytes at both ends: safe to format.
    case blank
    /// A filesystem share-manager can mount.
    case filesystem(FilesystemType)
    /// Anything else, described for the operator (a signature name, or "non-zero data …").
    case foreign(String)
}
