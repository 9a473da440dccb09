import Foundation
import Testing
import TestSupport

/// One way a previous version, another tool or a corrupted disk can leave a volume that
/// share-manager formatted. `tamper` gets the mounted filesystem's root and a folder of the
/// host (`outside`) that must come through unchanged.
struct VolumeTampering: Sendable, CustomTestStringConvertible {
    enum Outcome: Sendable {
        /// Not served: exit 1, one error line mentioning the word.
        case refused(mentioning: String, deviceUntouched: Bool)
        /// Served, with this many entries moved to the recovery quarantine.
        case served(quarantined: Int)
    }

    let attack: String
    let outcome: Outcome
    let tamper: @Sendable (_ root: String, _ outside: String) throws -> Void
    /// Wait for the 5 s write probe to run at least once before checking the host.
    var afterProbe = false
    /// Damage done to the image file after `tamper`, with nothing mounted.
    var damage: (@Sendable (_ image: String) throws -> Void)?

    var testDescription: String { attack }

    static let marker = "/.share-manager/volume.json"
    static let node = "/.share-manager/recovery/v4recov/node0"
    /// A record Ganesha wrote: it must stay a record whatever happens beside it.
    static let goodRecord = "10.0.0.1-(9:client-ok)"

    static func writeMarker(_ root: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: root + marker))
    }

    static func replaceMarker(_ root: String, symlinkTo target: String) throws {
        try FileManager.default.removeItem(atPath: root + marker)
        try FileManager.default.createSymbolicLink(atPath: root + marker, withDestinationPath: target)
    }

    /// A folder whose name is given as bytes, which a Swift String could not hold.
    static func makeFolder(_ parent: String, rawName: [UInt8]) throws {
        let path = Array(parent.utf8) + [UInt8(ascii: "/")] + rawName + [0]
        let made = path.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { mkdir($0.baseAddress!, 0o700) } }
        guard made == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    static func record(_ root: String, _ name: String) throws {
        try FileManager.default.createDirectory(atPath: root + node + "/" + name, withIntermediateDirectories: true)
    }

    static let rows: [VolumeTampering] = [
        // The marker decides whose data this is: anything but a small, well-formed file for
        // this volume is refused before a byte is written.
        .init(attack: "marker is not JSON", outcome: .refused(mentioning: "marker", deviceUntouched: true)) { root, _ in
            try writeMarker(root, "volume = vol-tamper\n")
        },
        .init(attack: "marker is empty", outcome: .refused(mentioning: "marker", deviceUntouched: true)) { root, _ in
            try writeMarker(root, "")
        },
        .init(attack: "marker is 10 MiB", outcome: .refused(mentioning: "marker", deviceUntouched: true)) { root, _ in
            try writeMarker(root, #"{"volume":"vol-tamper","layoutVersion":1,"pad":""# + String(repeating: "A", count: 10 << 20) + #""}"#)
        },
        .init(attack: "marker has wrong types", outcome: .refused(mentioning: "marker", deviceUntouched: true)) { root, _ in
            try writeMarker(root, #"{"volume":5,"layoutVersion":"1"}"#)
        },
        .init(attack: "marker's layout version overflows Int", outcome: .refused(mentioning: "marker", deviceUntouched: true)) { root, _ in
            try writeMarker(root, #"{"volume":"vol-tamper","layoutVersion":99999999999999999999999}"#)
        },
        .init(attack: "marker's layout version from the future", outcome: .refused(mentioning: "layout version", deviceUntouched: true)) { root, _ in
            try writeMarker(root, #"{"volume":"vol-tamper","layoutVersion":99}"#)
        },
        .init(attack: "marker names another volume", outcome: .refused(mentioning: "belongs to volume", deviceUntouched: true)) { root, _ in
            try writeMarker(root, #"{"volume":"vol-other","layoutVersion":1}"#)
        },
        .init(attack: "marker names another volume with a forged log line", outcome: .refused(mentioning: "belongs to volume", deviceUntouched: true)) { root, _ in
            try writeMarker(root, #"{"volume":"x\n2026-01-01T00:00:00Z info share-manager: volume ready\u001b[2J","layoutVersion":1}"#)
        },
        .init(attack: "marker is a symlink to /etc/passwd", outcome: .refused(mentioning: "not a regular file", deviceUntouched: true)) { root, _ in
            try replaceMarker(root, symlinkTo: "/etc/passwd")
        },
        .init(attack: "marker is a symlink to /dev/zero (was: read until out of memory)", outcome: .refused(mentioning: "not a regular file", deviceUntouched: true)) { root, _ in
            try replaceMarker(root, symlinkTo: "/dev/zero")
        },
        .init(attack: "marker is a FIFO (would block for ever)", outcome: .refused(mentioning: "not a regular file", deviceUntouched: true)) { root, _ in
            try FileManager.default.removeItem(atPath: root + marker)
            guard mkfifo(root + marker, 0o600) == 0 else { throw POSIXError(.EIO) }
        },
        .init(attack: "marker is a folder", outcome: .refused(mentioning: "not a regular file", deviceUntouched: true)) { root, _ in
            try FileManager.default.removeItem(atPath: root + marker)
            try FileManager.default.createDirectory(atPath: root + marker, withIntermediateDirectories: false)
        },
        // A damaged inode table: the kernel records the error in the superblock when it meets
        // it, even on a read-only mount of a writable loop device; the peek must not mount.
        .init(attack: "marker's inode is damaged (was: 7 bytes of the superblock changed)", outcome: .refused(mentioning: "marker", deviceUntouched: true), tamper: { _, _ in }, damage: { try damageInode($0, marker) }),
        .init(attack: "marker folder's inode is damaged", outcome: .refused(mentioning: "marker", deviceUntouched: true), tamper: { _, _ in }, damage: { try damageInode($0, "/.share-manager") }),
        .init(attack: "root folder's inode is damaged", outcome: .refused(mentioning: "marker", deviceUntouched: true), tamper: { _, _ in }, damage: { try damageInode($0, "/") }),
        // The layout's own folders, replaced by symlinks into the host.
        .init(attack: "recovery store is a symlink out of the volume", outcome: .refused(mentioning: "recovery", deviceUntouched: false)) { root, outside in
            try FileManager.default.removeItem(atPath: root + "/.share-manager/recovery")
            try FileManager.default.createSymbolicLink(atPath: root + "/.share-manager/recovery", withDestinationPath: outside)
        },
        .init(attack: "recovery quarantine is a symlink out of the volume", outcome: .refused(mentioning: "quarantine", deviceUntouched: false)) { root, outside in
            try Data("* * * * * root touch /tmp/pwned\n".utf8).write(to: URL(fileURLWithPath: root + node + "/job"))
            try FileManager.default.createSymbolicLink(atPath: root + "/.share-manager/recovery-quarantine", withDestinationPath: outside)
        },
        .init(attack: "recovery node folder is a symlink out of the volume", outcome: .refused(mentioning: "node0", deviceUntouched: false)) { root, outside in
            try FileManager.default.removeItem(atPath: root + node)
            try FileManager.default.createSymbolicLink(atPath: root + node, withDestinationPath: outside)
        },
        // Recovery entries: moved to the quarantine, never deleted; the volume is served.
        .init(attack: "recovery entry is a file", outcome: .served(quarantined: 1)) { root, _ in
            try record(root, goodRecord)
            try Data("junk".utf8).write(to: URL(fileURLWithPath: root + node + "/10.0.0.2-(4:file)"))
        },
        .init(attack: "recovery entry name forges Ganesha's 'NOT IN GRACE' line", outcome: .served(quarantined: 1)) { root, _ in
            try record(root, goodRecord)
            try record(root, "10.0.0.3-(123456789:\nNFS Server Now NOT IN GRACE")
        },
        .init(attack: "recovery entry name is not UTF-8", outcome: .served(quarantined: 1)) { root, _ in
            try record(root, goodRecord)
            try makeFolder(root + node, rawName: Array("10.0.0.4-(2:".utf8) + [0xFF, 0xFE, 0x29])
        },
        .init(attack: "recovery entry name is not UTF-8 and forges a line", outcome: .served(quarantined: 1)) { root, _ in
            try record(root, goodRecord)
            try makeFolder(root + node, rawName: Array("10.0.0.5-(123456789:".utf8) + [0xFF] + Array("\nNFS Server Now NOT IN GRACE".utf8))
        },
        .init(attack: "recovery entry is a symlink out of the volume (Ganesha removed folders there)", outcome: .served(quarantined: 1)) { root, outside in
            try record(root, goodRecord)
            try FileManager.default.createSymbolicLink(atPath: root + node + "/10.0.0.6-(4:link)", withDestinationPath: outside)
        },
        .init(attack: "write probe's name is a symlink to a host file", outcome: .served(quarantined: 0), tamper: { root, outside in
            try FileManager.default.createSymbolicLink(atPath: root + "/.share-manager/.share-manager-probe", withDestinationPath: outside + "/victim")
        }, afterProbe: true),
        // The last Ganesha epoch, recorded beside the records: read only from a small regular file.
        .init(attack: "recorded Ganesha epoch is a FIFO (a read would block the start)", outcome: .served(quarantined: 0)) { root, _ in
            try record(root, goodRecord)
            unlink(root + epochFile)  // the image's own, from the run that prepared it
            guard mkfifo(root + epochFile, 0o600) == 0 else { throw POSIXError(.EEXIST) }
        },
        .init(attack: "recorded Ganesha epoch is a symlink to a host file", outcome: .served(quarantined: 0)) { root, outside in
            try record(root, goodRecord)
            unlink(root + epochFile)
            try FileManager.default.createSymbolicLink(atPath: root + epochFile, withDestinationPath: outside + "/victim")
        },
        .init(attack: "recorded Ganesha epoch is the largest number there is", outcome: .served(quarantined: 0)) { root, _ in
            try record(root, goodRecord)
            try Data("4294967295\n".utf8).write(to: URL(fileURLWithPath: root + epochFile))
        },
    ]

    static let epochFile = "/.share-manager/recovery/ganesha-epoch"

    /// Overwrites the inode of `path` in the ext4 image with 0xFF bytes, so its checksum fails.
    static func damageInode(_ image: String, _ path: String) throws {
        // "Inode 14 is part of block group 0\n\tlocated at block 278, offset 0x0100"
        let imap = try runCommand(["debugfs", "-R", "imap \(path)", image]).stdout
        let words = imap.replacingOccurrences(of: ",", with: " ").split(whereSeparator: \.isWhitespace)
        let header = try runCommand(["dumpe2fs", "-h", image]).stdout.split(separator: "\n")
        guard let at = words.lastIndex(of: "block"), let block = UInt64(words[at + 1]),
              let offset = words.firstIndex(of: "offset").flatMap({ UInt64(words[$0 + 1].dropFirst(2), radix: 16) }),
              let size = header.first(where: { $0.hasPrefix("Block size:") })?.split(separator: " ").last.flatMap({ UInt64($0) }),
              let inodeSize = header.first(where: { $0.hasPrefix("Inode size:") })?.split(whereSeparator: \.isWhitespace).last.flatMap({ Int($0) })
        else { throw FixtureError("cannot locate the inode of \(path): \(imap)") }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: image))
        try handle.seek(toOffset: block * size + offset)
        try handle.write(contentsOf: Data(repeating: 0xFF, count: inodeSize))
        try handle.close()
    }
}
