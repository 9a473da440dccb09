import Glibc
import SupervisorInterface

/// The human-readable `status` and `clients`: one labelled line per part, the words of
/// docs/control-api.md. Scripts use `--json`, whose fields are the contract; these lines
/// may change. Strings that came from clients (record names) pass `TerminalText.printable`.
public enum ControlSummary {
    public static func status(_ status: ControlMessage.Status) -> String {
        var lines: [(String, String)] = [
            ("volume", "\(status.volume) (share-manager \(status.version))"),
            ("phase", status.phase),
        ]
        if let device = status.device {
            var text = "\(device.path), \(device.filesystem) at \(device.mountPoint)"
            if device.adopted { text += " (adopted: not formatted by share-manager)" }
            if device.formattedThisStart { text += " (formatted at this start)" }
            if let size = device.sizeBytes, let available = device.availableBytes {
                text += "; \(bytes(available)) free of \(bytes(size))"
            }
            lines.append(("device", text + "; \(device.health)"))
        } else {
            lines.append(("device", "not prepared yet"))
        }
        let export = status.export
        let state = export.offline ? "offline (unexported; `share-manager export` brings it back)"
            : export.active.map { $0 ? "active" : "not active in Ganesha" } ?? "unknown (Ganesha did not answer within 2 s)"
        lines.append(("export", "\(export.pseudo) from \(export.path), \(export.accessType), id \(export.exportID): \(state)"))
        lines.append(("grace", grace(status.grace)))
        let ganesha = status.ganesha
        lines.append(("ganesha", "\(ganesha.pid.map { "pid \($0), " } ?? "")\(ganesha.running ? "running" : "not running"), \(ganesha.restarts) restart\(ganesha.restarts == 1 ? "" : "s")"))
        if let endpoint = status.endpoint {
            lines.append(("endpoint", "NFS on \(endpoint.address):\(endpoint.port)"))
        }
        return table(lines)
    }

    public static func clients(_ clients: ControlMessage.Clients, now: Double = currentTime()) -> String {
        var out = "connected: \(clients.connected.count)\n"
        for client in clients.connected {
            var line = "  \(TerminalText.printable(client.address))  \(client.protocols.map { TerminalText.printable($0) }.joined(separator: ","))"
            if let last = client.lastActivity { line += "  last request \(max(0, Int(now - last))) s ago" }
            out += line + "\n"
        }
        out += "recorded: \(clients.recorded.count); grace \(grace(clients.grace))\n"
        for record in clients.recorded {
            var marks: [String] = []
            if record.previousInstance { marks.append("previous instance") }
            if record.current { marks.append("current") }
            if record.reclaimed { marks.append("reclaimed") }
            out += "  \(TerminalText.printable(record.record))  \(marks.isEmpty ? "-" : marks.joined(separator: ", "))\n"
        }
        return out
    }

    static func grace(_ grace: ControlMessage.Grace) -> String {
        guard grace.active else { return "not active" }
        var text = "active, \(grace.remainingSeconds) s left, \(grace.reclaimedClients) of \(grace.recordedClients) recorded clients reclaimed"
        if !grace.pending.isEmpty {
            text += "; waiting for " + grace.pending.map { TerminalText.printable($0, limit: 200) }.joined(separator: ", ")
        }
        return text
    }

    /// 1024-based with one decimal, as `df -h` shows it.
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var unit = 0
        var scale: Int64 = 1
        while unit < units.count - 1 && count >= scale * 1024 {
            unit += 1
            scale *= 1024
        }
        guard unit > 0 else { return "\(count) B" }
        // Split so that no product can overflow, whatever the size.
        let tenths = count / scale * 10 + (count % scale) * 10 / scale
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }

    static func table(_ lines: [(String, String)]) -> String {
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { label, value in
            label + String(repeating: " ", count: width - label.count + 2) + TerminalText.printable(value) + "\n"
        }.joined()
    }

    public static func currentTime() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
