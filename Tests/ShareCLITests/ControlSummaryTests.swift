import ShareCLI
import SupervisorInterface
import Testing

@Suite("The human-readable status and clients")
struct ControlSummaryTests {
    static let grace = ControlMessage.Grace(active: true, remainingSeconds: 42, recordedClients: 2, reclaimedClients: 1, pending: ["10.0.0.9-(7:evil\n\u{1B}[2J)"])

    @Test("status: one labelled line per part, sizes as df -h shows them")
    func status() {
        let status = ControlMessage.Status(
            volume: "pvc-1", version: "0.1.0", phase: "serving",
            device: .init(path: "/dev/sdb", filesystem: "ext4", mountPoint: "/export/pvc-1", adopted: false, formattedThisStart: true,
                          sizeBytes: 10_434_699_264, availableBytes: 9_921_806_336, health: "healthy"),
            export: .init(pseudo: "/pvc-1", path: "/export/pvc-1/data", exportID: 1, accessType: "RW", active: true, offline: false),
            grace: Self.grace, ganesha: .init(pid: 41, running: true, restarts: 1),
            endpoint: .init(volume: "pvc-1", address: "0.0.0.0", port: 2049, pid: 41)
        )
        let text = ControlSummary.status(status)
        #expect(text.contains("volume    pvc-1 (share-manager 0.1.0)\n"))
        #expect(text.contains("device    /dev/sdb, ext4 at /export/pvc-1 (formatted at this start); 9.2 GiB free of 9.7 GiB; healthy\n"), "\(text)")
        #expect(text.contains("export    /pvc-1 from /export/pvc-1/data, RW, id 1: active\n"))
        #expect(text.contains("grace     active, 42 s left, 1 of 2 recorded clients reclaimed; waiting for 10.0.0.9-(7:evil\\n\\u{1B}[2J)\n"), "\(text)")
        #expect(text.contains("ganesha   pid 41, running, 1 restart\n"))
        #expect(text.contains("endpoint  NFS on 0.0.0.0:2049\n"))
        #expect(text.split(separator: "\n").count == 7, "a client's name must not add lines:\n\(text)")
    }

    @Test("clients: a record name from a client cannot add lines or reach the terminal as control characters")
    func clients() {
        let clients = ControlMessage.Clients(
            connected: [.init(address: "::ffff:10.0.0.9", protocols: ["NFSv4.1"], lastActivity: 1000)],
            recorded: [.init(record: "10.0.0.9-(7:evil\n\u{1B}[2J)", address: "10.0.0.9", previousInstance: true, current: false, reclaimed: false)],
            grace: Self.grace
        )
        let text = ControlSummary.clients(clients, now: 1003)
        #expect(text.hasPrefix("connected: 1\n  ::ffff:10.0.0.9  NFSv4.1  last request 3 s ago\nrecorded: 1; grace active, 42 s left"), "\(text)")
        #expect(text.contains("  10.0.0.9-(7:evil\\n\\u{1B}[2J)  previous instance\n"), "\(text)")
        #expect(!text.contains("\u{1B}"))
        #expect(text.split(separator: "\n").count == 4, "\(text)")
    }
}
