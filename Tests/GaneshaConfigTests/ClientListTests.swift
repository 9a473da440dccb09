import GaneshaConfig
import Testing

@Suite("Validating who may reach the export")
struct ClientListTests {
    static let hostileLists = [
        "", " ", ",", "10.0.0.0/8,", ",10.0.0.0/8", "10.0.0.0/8,,10.1.0.0/16",
        // Attempts to leave the Clients list or the CLIENT block.
        "10.0.0.0/8; } EXPORT {", "10.0.0.0/8;", "10.0.0.0/8 }", "{", "}", ";", "\"", "'",
        "10.0.0.1\"", "host\nname", "10.0.0.0/8\n%include /etc/passwd", "%include /etc/passwd",
        "%include", "#comment", "host#x", "host name", "host\tname", "a\u{0}b", "10.0.0.0 /8",
        "10.0.0.0/8 # x", "$HOST", "host=x", "[::1]", "http://x",
        // Addresses and networks that are not what they look like.
        "1.2.3.4/33", "::1/129", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.-4",
        "10.0.0.0/", "10.0.0.0/08", "10.0.0.0/+8", "10.0.0.0/-1", "10.0.0.0/8/8", "/8", "10.0.0.0/1000",
        "10.0.0.0/x", "fe80::1%eth0", "fe80::1%eth0/64", "1::2::3", ":::", "fd00::/0x8",
        "10.0.0.1\u{0}x", "fd00::\u{0}1/8", "10.0.0.0/8\u{0}",
        // Ganesha would read these as every client, or not at all.
        "0.0.0.0", "::", "0.0.0.0/0", "::/0", "fd00::/100", "fd00::1/127", "fd00::/120",
        "10.0.0.1/8", "fd00::1/8", "192.168.1.10/24",
        // Not host names, or names Ganesha 4.3 cannot read.
        String(repeating: "a", count: 64) + ".example",
        Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: ".") + ".ab",
        "bücher.example", "ホスト", "host\u{200B}.example", "-host.example", "host-.example",
        "host..example", "host.example.", ".host.example", "1host.example", "9p", "host.123",
        "a_b.example", "*.example.com", "host?.example", "host[1].example", "@netgroup", "on", "YES",
        "false", "*, 10.0.0.0/8", "10.0.0.0/8, *",
    ]

    @Test("entries that could change the config, or mean something else to Ganesha, are refused", arguments: hostileLists)
    func refused(_ raw: String) {
        do {
            let list = try ClientList.parse(raw)
            Issue.record("accepted \(raw.debugDescription) as \(String(describing: list))")
        } catch {
            #expect(error.flag == "allowed-clients")
            #expect(error.description.hasPrefix("--allowed-clients: "))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("the error names the entry it refuses")
    func namesTheEntry() {
        #expect(throws: ValidationError(flag: "allowed-clients", reason: "'1.2.3.4/33' has a bad prefix length; use 1-32 for IPv4")) {
            try ClientList.parse("10.0.0.0/8, 1.2.3.4/33")
        }
        #expect(throws: ValidationError(flag: "allowed-clients", reason: "'10.0.0.1/8' has host bits set; the network is 10.0.0.0/8")) {
            try ClientList.parse("10.0.0.1/8")
        }
        do {
            _ = try ClientList.parse("ok.example, evil\n%include /etc/passwd")
            Issue.record("accepted a newline")
        } catch {
            #expect(error.description.contains(#"'evil\n%include /etc/passwd'"#))
        }
    }

    static let canonical: [(String, [String])] = [
        ("127.0.0.2/32", ["127.0.0.2/32"]),
        ("10.0.0.0/8", ["10.0.0.0/8"]),
        ("192.168.1.7", ["192.168.1.7"]),
        ("0.0.0.0/1", ["0.0.0.0/1"]),
        ("FD00::/8", ["fd00::/8"]),
        ("2001:DB8:0:0:0:0:0:1", ["2001:db8::1"]),
        ("2001:db8::/99", ["2001:db8::/99"]),
        ("::1/128", ["::1"]),
        ("::ffff:0:0/96", ["::ffff:0.0.0.0/96"]),
        ("NFS-Client.Example.COM", ["nfs-client.example.com"]),
        ("localhost", ["localhost"]),
        ("xn--bcher-kva.example", ["xn--bcher-kva.example"]),
        ("host.123a", ["host.123a"]),
        (" 10.0.0.0/8 , 10.1.0.0/16", ["10.0.0.0/8", "10.1.0.0/16"]),
        ("10.0.0.0/8,10.0.0.0/8,a.example,A.example", ["10.0.0.0/8", "a.example"]),
        (String(repeating: "a", count: 63) + ".example", [String(repeating: "a", count: 63) + ".example"]),
        (
            Array(repeating: String(repeating: "a", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 61),
            [Array(repeating: String(repeating: "a", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 61)]
        ),
    ]

    @Test("accepted entries come out canonical, in order, without repeats", arguments: canonical)
    func accepted(_ raw: String, _ expected: [String]) throws {
        #expect(try ClientList.parse(raw)?.entries == expected)
    }

    @Test("'*' alone means every client, the same as leaving the flag out")
    func star() throws {
        #expect(try ClientList.parse("*") == nil)
        #expect(try ClientList.parse(" * ") == nil)
    }

    @Test("squash takes none, root or all", arguments: [("none", "none"), ("root", "root"), ("ALL", "all")])
    func squash(_ raw: String, _ expected: String) throws {
        #expect(try GaneshaSettings.Squash(validating: raw).rawValue == expected)
    }

    @Test("other squash values are refused", arguments: ["", "no_root_squash", "All_Squash", "root;", "all\n", "yes"])
    func badSquash(_ raw: String) {
        #expect(throws: ValidationError.self) { try GaneshaSettings.Squash(validating: raw) }
    }

    @Test("anonymous ids are 0-4294967294", arguments: [("0", 0), ("65534", 65534), ("012", 12), ("4294967294", 4_294_967_294)] as [(String, UInt32)])
    func anonymousIDs(_ raw: String, _ expected: UInt32) throws {
        #expect(try AnonymousID(validating: raw, flag: "anonymous-uid").value == expected)
    }

    static let badIDs = [
        "", "-1", "-0", "+1", "4294967295", "4294967296", "99999999999", "18446744073709551616", "abc", "1e3",
        "0x10", " 1", "1 ", "1\n", "１２", "1;", "12345; } EXPORT {",
    ]

    @Test("other anonymous ids are refused, naming the flag", arguments: badIDs)
    func badAnonymousIDs(_ raw: String) {
        do {
            _ = try AnonymousID(validating: raw, flag: "anonymous-gid")
            Issue.record("accepted \(raw.debugDescription)")
        } catch {
            #expect(error.flag == "anonymous-gid")
            #expect(!error.description.contains("\n"))
        }
    }
}
