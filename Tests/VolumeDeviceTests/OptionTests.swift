import Testing
@testable import VolumeDevice

@Suite struct MkfsOptionTests {
    @Test(arguments: [
        ["-b", "4096"], ["-i", "8192", "-I", "256", "-m", "0.5", "-N", "5000"],
        ["-E", "lazy_itable_init=0,stride=16"], ["-O", "^metadata_csum,quota"], ["-T", "largefile"], ["-J", "size=16"],
    ])
    func ext4Accepted(options: [String]) throws {
        try VolumePreparer.validateMkfsOptions(options, for: .ext4)
    }

    @Test(arguments: [
        ["-b", "size=4096"], ["-d", "agcount=4,su=64k,sw=2"], ["-i", "size=512"], ["-l", "size=64m,lazy-count=1"],
        ["-m", "crc=1,reflink=0"], ["-n", "ftype=1"], ["-s", "size=4096"],
    ])
    func xfsAccepted(options: [String]) throws {
        try VolumePreparer.validateMkfsOptions(options, for: .xfs)
    }

    /// Another device, forcing, dry runs, labels, error behaviour, stray arguments, odd characters.
    @Test(arguments: [
        ["-F"], ["-n"], ["-L", "x"], ["-e", "continue"], ["-U", "random"], ["/dev/sdb"], ["-b"], ["-b", "-F"],
        ["-E", "offset=4096"], ["-b", "4k;rm"], ["-O", "a b"], ["-J", "device=/dev/sdb"], ["-c"], ["-b4096"],
    ])
    func ext4Refused(options: [String]) {
        #expect(throws: DeviceError.self) { try VolumePreparer.validateMkfsOptions(options, for: .ext4) }
    }

    @Test(arguments: [
        ["-f"], ["-N"], ["-L", "x"], ["-d", "name=/dev/sdb"], ["-d", "file=1"], ["-l", "logdev=/dev/sdb"],
        ["-l", "internal=0"], ["-r", "rtdev=/dev/sdb"], ["-m", "uuid=1"], ["-K"], ["-b", "4096"],
    ])
    func xfsRefused(options: [String]) {
        #expect(throws: DeviceError.self) { try VolumePreparer.validateMkfsOptions(options, for: .xfs) }
    }

    @Test func refusalNamesTheOptionAndWhatIsAllowed() {
        do {
            try VolumePreparer.validateMkfsOptions(["-b", "4096", "-L", "mine"], for: .ext4)
            Issue.record("accepted -L")
        } catch {
            guard case .invalidMkfsOption(let option, .ext4, _) = error else { Issue.record("got \(error)"); return }
            #expect(option == "-L")
            #expect(error.description.contains("'-L'") && error.description.contains("-b N") && error.description.contains("-E ("))
            #expect(!error.description.contains("\n"))
        }
    }
}

@Suite struct MountOptionTests {
    @Test func acceptedOptions() throws {
        try VolumePreparer.validateMountOptions(["noatime,nodev", "discard", "data=journal", "commit=30"], for: .ext4, readOnly: false)
        try VolumePreparer.validateMountOptions(["inode64", "logbsize=256k", "allocsize=64m", "largeio,noquota"], for: .xfs, readOnly: false)
        try VolumePreparer.validateMountOptions(["ro", "noatime"], for: .ext4, readOnly: true)
        try VolumePreparer.validateMountOptions([], for: .xfs, readOnly: false)
    }

    @Test(arguments: [
        "errors=continue", "errors=remount-ro", "ro", "rw", "data=bogus", "commit=x", "loop", "inode64", "logbsize=32k",
        "dax", "sync", "noload", "commit=",
    ])
    func ext4Refused(option: String) {
        #expect(throws: DeviceError.self) { try VolumePreparer.validateMountOptions([option], for: .ext4, readOnly: false) }
    }

    @Test(arguments: ["barrier", "data=ordered", "norecovery", "logdev=/dev/sdb", "rtdev=/dev/sdb", "nouuid", "ro"])
    func xfsRefused(option: String) {
        #expect(throws: DeviceError.self) { try VolumePreparer.validateMountOptions([option], for: .xfs, readOnly: false) }
    }

    @Test func refusalsSayWhy() {
        let errors = DeviceError.invalidMountOption(
            option: "errors=continue", filesystem: .ext4, allowed: MountOptions.allowed(for: .ext4, readOnly: false).joined(separator: ", ")
        )
        #expect(errors.description.contains("errors=remount-ro") && errors.description.contains("noatime"))
        let readOnly = DeviceError.invalidMountOption(option: "ro", filesystem: .xfs, allowed: "noatime")
        #expect(readOnly.description.contains("read-only share"))
    }

    /// ext4 always gets errors=remount-ro; a read-only share always ro; duplicates once.
    @Test func argumentsAddWhatShareManagerAlwaysSets() {
        #expect(MountOptions.arguments([], for: .ext4, readOnly: false) == ["errors=remount-ro"])
        #expect(MountOptions.arguments([], for: .xfs, readOnly: false) == [])
        #expect(MountOptions.arguments(["noatime,ro", "noatime"], for: .xfs, readOnly: true) == ["ro", "noatime"])
        #expect(MountOptions.arguments(["discard"], for: .ext4, readOnly: true) == ["ro", "discard", "errors=remount-ro"])
        // Generic options become mount(2) flag bits; the filesystem gets the rest as its data.
        let (flags, data) = MountFlags.split(["ro", "noatime,nodev", "discard", "errors=remount-ro", "commit=30"])
        #expect(flags == 1 | 4 | 1 << 10)
        #expect(data == "discard,errors=remount-ro,commit=30")
    }
}
