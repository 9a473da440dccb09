/// The file that says a filesystem was laid out by share-manager, and for which volume.
/// Stored as JSON at `<filesystem root>/.share-manager/volume.json`.
public struct VolumeMarker: Codable, Sendable, Equatable {
    /// The layout this share-manager writes; a marker with a newer one is refused.
    public static let currentLayoutVersion = 1
    static let folderName = ".share-manager"
    static let fileName = "volume.json"

    /// The volume name the filesystem was formatted for.
    public var volume: String
    /// The version of the layout (DESIGN §3) the filesystem follows.
    public var layoutVersion: Int

    public init(volume: String, layoutVersion: Int = VolumeMarker.currentLayoutVersion) {
        self.volume = volume
        self.layoutVersion = layoutVersion
    }
}
