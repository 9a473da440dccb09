extension VolumePreparer {
    /// Throws `invalidMkfsOption` unless every option is on the allow-list for `filesystem`:
    /// nothing that picks another device, forces, only pretends, sets the label or changes
    /// error behaviour. Options come as argv tokens, each flag followed by its value.
    public static func validateMkfsOptions(_ options: [String], for filesystem: FilesystemType) throws(DeviceError) {
        try MkfsOptions.validate(options, for: filesystem)
    }

    /// Throws `invalidMountOption` unless every option (elements may hold several, comma
    /// separated) is on the allow-list for `filesystem`. `ro` is accepted only for a
    /// read-only share; `errors=` never, since ext4 always gets `errors=remount-ro`.
    public static func validateMountOptions(_ options: [String], for filesystem: FilesystemType, readOnly: Bool) throws(DeviceError) {
        try MountOptions.validate(options, for: filesystem, readOnly: readOnly)
    }
}
