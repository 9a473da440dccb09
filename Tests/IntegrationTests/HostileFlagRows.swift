import Foundation
import Testing

/// One hostile value and the way it enters share-manager: a flag, or the flag's
/// `SHARE_MANAGER_*` variable. `{dir}` in a value stands for the row's own temp dir.
struct HostileFlag: Sendable, CustomTestStringConvertible {
    enum Entry: Sendable { case flag, environment }

    let attack: String
    let flag: String
    let value: String
    /// Bytes after `value` that are not valid UTF-8 on their own.
    var raw: [UInt8] = []
    var entry = Entry.flag
    /// The flag the error line must name, when it is not `flag` itself.
    var blamed: String?
    /// Other flags the attack needs (a token file needs a control port...).
    var with: [String: String] = [:]
    /// Written to `{dir}/token` before the run.
    var token: TokenFile?
    /// Left in `{dir}` before the run, as another local user could have left it.
    var planted: [Planted] = []
    /// Made under `{dir}` before the run and checked unchanged after it.
    var fixture: MountFixture?

    var testDescription: String { entry == .flag ? attack : "\(attack) (SHARE_MANAGER_\(flag.uppercased().replacingOccurrences(of: "-", with: "_")))" }

    func bytes(dir: String, controlPort: UInt16) -> [UInt8] { Array(Self.fill(value, dir, controlPort).utf8) + raw }

    static func fill(_ text: String, _ dir: String, _ controlPort: UInt16) -> String {
        text.replacingOccurrences(of: "{dir}", with: dir).replacingOccurrences(of: "{controlPort}", with: String(controlPort))
    }
}

/// A folder, file or link in the row's dir, with the owner and mode a local user could give it.
struct Planted: Sendable {
    enum Kind: Sendable { case folder, file, link(to: String) }

    let name: String
    var kind = Kind.folder
    var mode: mode_t = 0o700
    var owner: uid_t = 0

    static let nobody: uid_t = 65534

    static func folder(_ name: String, mode: mode_t = 0o700, owner: uid_t = 0) -> Planted {
        Planted(name: name, mode: mode, owner: owner)
    }

    static func file(_ name: String, mode: mode_t = 0o600, owner: uid_t = 0) -> Planted {
        Planted(name: name, kind: .file, mode: mode, owner: owner)
    }

    static func link(_ name: String, to target: String, owner: uid_t = 0) -> Planted {
        Planted(name: name, kind: .link(to: target), owner: owner)
    }
}

struct TokenFile: Sendable {
    var content = "0123456789abcdef0123456789abcdef"
    var mode: mode_t = 0o600
    var isDirectory = false
}

extension HostileFlag {
    static func flag(
        _ attack: String, _ flag: String, _ value: String, raw: [UInt8] = [], blamed: String? = nil, with: [String: String] = [:]
    ) -> HostileFlag {
        HostileFlag(attack: attack, flag: flag, value: value, raw: raw, blamed: blamed, with: with)
    }

    static func env(_ attack: String, _ flag: String, _ value: String, raw: [UInt8] = [], blamed: String? = nil) -> HostileFlag {
        HostileFlag(attack: attack, flag: flag, value: value, raw: raw, entry: .environment, blamed: blamed)
    }

    static func token(_ attack: String, _ file: TokenFile?, port: Bool = true) -> HostileFlag {
        HostileFlag(
            attack: attack, flag: "control-token-file", value: "{dir}/token",
            with: port ? ["control-port": "{controlPort}"] : [:], token: file
        )
    }

    /// A row of issue 16 row 2 or 13: `value` names what `planted` leaves in the row's dir.
    static func planted(_ attack: String, _ flag: String, _ value: String, _ planted: [Planted], with: [String: String] = [:]) -> HostileFlag {
        HostileFlag(attack: attack, flag: flag, value: value, with: with, planted: planted)
    }

    static func plantedToken(_ attack: String, _ planted: [Planted]) -> HostileFlag {
        .planted(attack, "control-token-file", "{dir}/" + planted[planted.count - 1].name, planted, with: ["control-port": "{controlPort}"])
    }

    static let longHost = (0..<4).map { _ in String(repeating: "h", count: 63) }.joined(separator: ".")

    /// Every row is refused before anything is touched.
    static let rows: [HostileFlag] = [
        // Config injection: each would change the structure of ganesha.conf if it got through.
        .flag("volume: quote and brace close the Pseudo path", "volume", #"vol"; } EXPORT { Path = "/"#),
        .flag("volume: newline opens a second block", "volume", "vol\nEXPORT { Path = /; }"),
        .flag("volume: %include of a host file", "volume", "%include /etc/passwd"),
        .flag("volume: # comments out the rest of the line", "volume", "vol#"),
        .flag("mount-point: quote closes Path and adds a statement", "mount-point", #"{dir}/mnt"; Squash = No_Root_Squash; #"#),
        .flag("mount-point: newline then %include", "mount-point", "{dir}/mnt\n%include /etc/passwd"),
        .flag("mount-point: # comment", "mount-point", "{dir}/mnt#x"),
        .flag("state-dir: closing brace", "state-dir", "{dir}/state}"),
        .flag("recovery-dir: semicolon and a new Path", "recovery-dir", "/var/lib/rec;Path=/"),
        .flag("nfs-address: statement after the address", "nfs-address", "127.0.0.1; NFS_Port = 1"),
        .flag("idmap-domain: newline writes another idmapd key", "idmap-domain", "example.com\nLocal-Realms = EVIL"),
        .flag("allowed-clients: semicolon ends the Clients list", "allowed-clients", "10.0.0.0/8; Access_Type = RW"),
        .flag("allowed-clients: newline and closing brace", "allowed-clients", "10.0.0.1\n}"),
        .flag("squash: second statement", "squash", "root; Access_Type = RW"),
        .flag("access-type: trailing semicolon", "access-type", "RW;"),
        .flag("anonymous-uid: statement after the number", "anonymous-uid", "0; Squash = None"),
        .flag("fs-type: trailing newline", "fs-type", "ext4\n"),
        .flag("log-format: quote", "log-format", "json\""),
        .flag("mkfs-options: force and another device", "mkfs-options", "-F /dev/sda"),
        .flag("mount-options: suid is not on the allow-list", "mount-options", "noatime,suid"),
        // Values echoed in the error line: it must stay one printable, bounded line.
        .flag("fs-type: terminal escape sequence", "fs-type", "ext4\u{1B}[2J\u{1B}]0;pwned\u{07}"),
        .flag("fs-type: 100 000 bytes", "fs-type", String(repeating: "x", count: 100_000)),
        .flag("unknown flag holding an escape sequence", "no-such\u{1B}[31m", "x", blamed: "no-such"),
        // Path traversal and relative paths.
        .flag("mount-point: /tmp/../etc", "mount-point", "/tmp/../etc"),
        .flag("mount-point: relative", "mount-point", "mnt"),
        .flag("device: relative image path", "device", "volume.img"),
        .flag("device: /dev/../dev/sda", "device", "/dev/../dev/sda"),
        .flag("state-dir: trailing slash", "state-dir", "{dir}/state/"),
        .flag("templates-dir: /tmp/../etc", "templates-dir", "/tmp/../etc"),
        .flag("recovery-dir: relative with ..", "recovery-dir", "../recovery"),
        .flag("volume: ../etc", "volume", "../etc"),
        .flag("control-socket: relative", "control-socket", "control.sock"),
        // Over-long values.
        .flag("volume: 64 bytes (a DNS label has 63)", "volume", String(repeating: "a", count: 64)),
        .flag("volume: 100 000 bytes", "volume", String(repeating: "a", count: 100_000)),
        .flag("mount-point: 1025 bytes", "mount-point", "/" + String(repeating: "m", count: 1024)),
        .flag("state-dir: 89 bytes (the bus socket would not fit)", "state-dir", "/" + String(repeating: "s", count: 88)),
        .flag("control-socket: 108 bytes", "control-socket", "/" + String(repeating: "c", count: 107)),
        .flag("allowed-clients: 255-byte host name", "allowed-clients", longHost),
        .flag("idmap-domain: 255 bytes", "idmap-domain", longHost),
        // Bytes that are not UTF-8, or not ASCII.
        .flag("volume: invalid UTF-8", "volume", "vol-", raw: [0xFF, 0xFE]),
        .flag("mount-point: invalid UTF-8", "mount-point", "{dir}/mnt-", raw: [0xC3, 0x28]),
        .flag("device: overlong encoding of '/'", "device", "/dev/", raw: [0xC0, 0xAF, 0x65, 0x74, 0x63]),
        .flag("allowed-clients: invalid UTF-8 host", "allowed-clients", "host-", raw: [0xFF]),
        .flag("volume: Cyrillic look-alike letter", "volume", "v\u{043E}l"),
        // Numbers out of range.
        .flag("nfs-port: 65536", "nfs-port", "65536"),
        .flag("nfs-port: -1", "nfs-port", "-1"),
        .flag("http-port: 65536", "http-port", "65536"),
        .flag("http-port: beyond Int64", "http-port", "99999999999999999999"),
        .flag("http-port: trailing space", "http-port", "9500 "),
        .flag("grace-period: 271", "grace-period", "271"),
        .flag("grace-period: -1", "grace-period", "-1"),
        .flag("lease-lifetime: 0", "lease-lifetime", "0"),
        .flag("lease-lifetime: 181", "lease-lifetime", "181"),
        .flag("trim-interval: 59", "trim-interval", "59"),
        .flag("control-port: 65536", "control-port", "65536"),
        .flag("anonymous-uid: 4294967295 is (uid_t)-1", "anonymous-uid", "4294967295"),
        .flag("anonymous-gid: -1", "anonymous-gid", "-1"),
        .flag("anonymous-uid: hexadecimal", "anonymous-uid", "0x10"),
        // Malformed --allowed-clients.
        .flag("allowed-clients: prefix /33", "allowed-clients", "10.0.0.0/33"),
        .flag("allowed-clients: host bits set", "allowed-clients", "10.0.0.1/8"),
        .flag("allowed-clients: /0 matches everyone", "allowed-clients", "10.0.0.0/0"),
        .flag("allowed-clients: * mixed with an address", "allowed-clients", "*,10.0.0.1"),
        .flag("allowed-clients: empty", "allowed-clients", ""),
        .flag("allowed-clients: empty entry", "allowed-clients", "10.0.0.0/8,,10.1.0.0/16"),
        .flag("allowed-clients: IPv6 prefix Ganesha cannot read", "allowed-clients", "fe80::/100"),
        .flag("allowed-clients: octet 999", "allowed-clients", "999.1.1.1"),
        .flag("allowed-clients: prefix with a leading zero", "allowed-clients", "10.0.0.0/08"),
        .flag("allowed-clients: unspecified address", "allowed-clients", "0.0.0.0"),
        .flag("allowed-clients: a word Ganesha reads as a boolean", "allowed-clients", "true"),
        // The control API's TCP port and its token.
        .flag("control-port without a token file", "control-port", "{controlPort}"),
        .token("token file readable by others", TokenFile(mode: 0o644)),
        .token("token too short", TokenFile(content: "short")),
        .token("token with spaces", TokenFile(content: "a token with spaces 0123456789")),
        .token("token on two lines", TokenFile(content: "0123456789abcdef\n0123456789abcdef")),
        .token("token file is a directory", TokenFile(isDirectory: true)),
        .token("token file missing", nil),
        .token("token file without a control port", TokenFile(), port: false),
        .flag("control-address: a host name", "control-address", "localhost", with: ["control-port": "{controlPort}"]),
        // Issue 16 row 13: the token must be root's and private; a link is followed and its target checked.
        .plantedToken("token file owned by uid 65534, mode 0600", [.file("token-65534", owner: Planted.nobody)]),
        .plantedToken("token file group-readable (0640)", [.file("token-0640", mode: 0o640)]),
        .plantedToken("token file other-readable (0604)", [.file("token-0604", mode: 0o604)]),
        .plantedToken("token file a link to uid 65534's 0600 file", [.file("their-token", owner: Planted.nobody), .link("token-link", to: "their-token")]),
        // Issue 16 row 2: whoever can write the state dir, or a folder above it, can swap
        // the config a restarted Ganesha reads (export.conf saying Path = "/etc").
        .planted("state-dir: exists with mode 0777", "state-dir", "{dir}/open", [.folder("open", mode: 0o777)]),
        .planted("state-dir: exists, mode 0700, owned by uid 65534", "state-dir", "{dir}/theirs", [.folder("theirs", owner: Planted.nobody)]),
        .planted("state-dir: exists, root's but readable by others (0755)", "state-dir", "{dir}/readable", [.folder("readable", mode: 0o755)]),
        .planted("state-dir: parent writable by others (0777)", "state-dir", "{dir}/shared/state", [.folder("shared", mode: 0o777)]),
        .planted("state-dir: parent writable by its group (0775)", "state-dir", "{dir}/group/state", [.folder("group", mode: 0o775)]),
        .planted("state-dir: parent owned by uid 65534", "state-dir", "{dir}/their/state", [.folder("their", mode: 0o755, owner: Planted.nobody)]),
        .planted("state-dir: a link of uid 65534 to root's 0700 folder", "state-dir", "{dir}/link", [.folder("real"), .link("link", to: "real", owner: Planted.nobody)]),
        .planted("state-dir: root's link to a folder open to all", "state-dir", "{dir}/link", [.folder("real", mode: 0o777), .link("link", to: "real")]),
        .planted("state-dir: a regular file", "state-dir", "{dir}/file", [.file("file")]),
        .planted("recovery-dir: owned by uid 65534", "recovery-dir", "{dir}/rec", [.folder("rec", owner: Planted.nobody)]),
        .planted("recovery-dir: parent writable by others", "recovery-dir", "{dir}/shared/rec", [.folder("shared", mode: 0o777)]),
        .planted("control-socket: in a folder writable by others", "control-socket", "{dir}/shared/control.sock", [.folder("shared", mode: 0o777)]),
        // The same attacks through the environment.
        .env("volume: injection", "volume", #"vol"; } EXPORT { Path = "/"#),
        .env("volume: invalid UTF-8", "volume", "vol-", raw: [0xFF]),
        .env("state-dir: invalid UTF-8", "state-dir", "{dir}/state-", raw: [0xFF]),
        .env("mount-point: traversal", "mount-point", "/tmp/../etc"),
        .env("device: relative", "device", "volume.img"),
        .env("nfs-port: 65536", "nfs-port", "65536"),
        .env("grace-period: -1", "grace-period", "-1"),
        .env("trim-interval: 59", "trim-interval", "59"),
        .env("allowed-clients: semicolon", "allowed-clients", "10.0.0.0/8;"),
        .env("squash: unknown", "squash", "everyone"),
        .env("idmap-domain: newline", "idmap-domain", "a.example\n[General]"),
        .env("control-port without a token file", "control-port", "{controlPort}"),
    ] + mountPointRows
}
