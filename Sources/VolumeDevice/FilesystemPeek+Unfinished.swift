extension FilesystemPeek {
    /// What a filesystem holds beyond what mkfs writes (an empty root, on ext4 with an empty
    /// `lost+found`) and what an unfinished format of share-manager adds before its label
    /// changes (an empty `data`, an empty recovery folder, the marker): empty when it holds
    /// nothing else. At most a few names, for the log and the error.
    func contentBeyondFormat() throws(DeviceError) -> [String] {
        var found: [String] = []
        let markerFolder = VolumeMarker.folderName
        let recovery = VolumeLayout.recoveryFolder
        let expected: [String: [String: Expectation]] = [
            "": ["lost+found": .emptyFolder, markerFolder: .folder, VolumeLayout.dataFolder: .emptyFolder],
            markerFolder: [recovery: .emptyFolder, VolumeMarker.fileName: .file, "." + VolumeMarker.fileName + ".tmp": .file],
        ]
        for folder in ["", markerFolder] {
            guard let listed = try entries(of: "/" + folder) else { continue }
            for entry in listed {
                let raw = folder.isEmpty ? entry.name : folder + "/" + entry.name
                let path = Self.shown(raw)
                switch (expected[folder]?[entry.name], entry.kind) {
                case (.file, .regular), (.folder, .directory):
                    continue
                case (.emptyFolder, .directory):
                    let inside = try entries(of: "/" + raw) ?? []
                    // ext4's lost+found and our folders hold nothing else after a format.
                    if !inside.isEmpty { found.append("\(path)/ holds \(inside.count) \(inside.count == 1 ? "entry" : "entries")") }
                default:
                    found.append(path)
                }
                if found.count >= 5 { return found }
            }
            // Anything unexpected at the root already tells; the marker folder is then known a folder.
            if !found.isEmpty { return found }
        }
        return found
    }

    private enum Expectation { case file, folder, emptyFolder }
}
