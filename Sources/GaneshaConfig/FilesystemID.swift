/// The Filesystem_Id of a volume's export, derived from its name alone.
///
/// Clients keep it inside their file handles, so it must be the same on every node and in
/// every release: a change gives every client ESTALE. A golden test freezes it.
public enum FilesystemID {
    /// FNV-1a (64-bit) of the volume name, split into Ganesha's `major.minor` form.
    public static func forVolume(_ volume: VolumeName) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in volume.value.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return "\(hash >> 32).\(hash & 0xFFFF_FFFF)"
    }
}
