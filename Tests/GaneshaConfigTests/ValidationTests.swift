import GaneshaConfig
import Testing

@Suite("Validating values before they reach a config")
struct ValidationTests {
    static let hostileNames = [
        "", "-vol", "vol-", "Vol", "vol_1", "vol.1", "vol 1", "vol\"", "vol'", "vol;", "vol{", "vol}",
        "vol\n", "%include", "../etc", "vøl", String(repeating: "a", count: 64), "vol\u{0}",
    ]

    @Test("volume names that are not DNS-1123 labels are refused", arguments: hostileNames)
    func badVolumeNames(_ name: String) {
        #expect(throws: ValidationError.self) { try VolumeName(validating: name) }
    }

    @Test("DNS-1123 labels pass", arguments: ["a", "pvc-0a1b2c", "1", String(repeating: "a", count: 63)])
    func goodVolumeNames(_ name: String) throws {
        #expect(try VolumeName(validating: name).value == name)
    }

    static let hostilePaths = [
        "relative/path", "", "/a/../b", "/a/./b", "/a//b", "/a/", "/a\"b", "/a'b", "/a;b", "/a{b", "/a}b",
        "/a%include", "/a\nb", "/a\tb", "/a b", "/a#b", "/ø", "/a\\b", "/a$b",
        "/x\"; } EXPORT { Path = /; Pseudo = /root; Access_Type = RW; } #",
        "/" + String(repeating: "a", count: 1100),
    ]

    @Test("paths that could change the config's structure are refused", arguments: hostilePaths)
    func badPaths(_ path: String) {
        #expect(throws: ValidationError.self) { try SafePath(validating: path, flag: "mount-point") }
    }

    @Test("the error names the flag and fits on one line")
    func errorNamesFlag() {
        do {
            _ = try SafePath(validating: "/a\n\"b", flag: "mount-point")
            Issue.record("accepted a hostile path")
        } catch {
            #expect(error.description.hasPrefix("--mount-point: "))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("normalised absolute paths pass", arguments: ["/", "/export/pvc-1", "/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_drive-1", "/a.b/c_d/e+f"])
    func goodPaths(_ path: String) throws {
        #expect(try SafePath(validating: path, flag: "device").value == path)
    }

    @Test("addresses must be numeric", arguments: ["localhost", "1.2.3", "0.0.0.0; }", "::1%lo", ""])
    func badAddresses(_ raw: String) {
        #expect(throws: ValidationError.self) { try NetworkAddress(validating: raw, flag: "nfs-address") }
    }

    @Test("IPv4 and IPv6 literals pass", arguments: ["0.0.0.0", "127.0.0.1", "::", "::1", "fd00::1"])
    func goodAddresses(_ raw: String) throws {
        #expect(try NetworkAddress(validating: raw, flag: "nfs-address").value == raw)
    }

    @Test("numbers are range-checked")
    func ranges() throws {
        #expect(throws: ValidationError.self) { try RangeCheck.port(0, flag: "nfs-port") }
        #expect(throws: ValidationError.self) { try RangeCheck.port(65536, flag: "nfs-port") }
        #expect(try RangeCheck.port(2049, flag: "nfs-port") == 2049)
        #expect(throws: ValidationError.self) { try RangeCheck.seconds(271, in: 0...270, flag: "grace-period") }
        #expect(throws: ValidationError.self) { try RangeCheck.seconds(-1, in: 0...270, flag: "grace-period") }
        #expect(try RangeCheck.seconds(0, in: 0...270, flag: "grace-period") == 0)
    }
}
