import Logging

/// One line of Ganesha's log, split by the header Ganesha writes before every message:
///
///     22/11/2026 01:00:00 : epoch 6b0236d4 : vm : ganesha.nfsd-81[main] nfs_start_grace :STATE :EVENT :NFS Server Now IN GRACE, duration 90
///
/// (date, time, epoch, host, program-pid[thread], function, component, level, message: the
/// default header of Ganesha 4.x to 6.x). Only the message can hold client text (an owner
/// string in a failed record write, a path): whatever it says, it never fills another field,
/// so a line is Ganesha's grace report only when its function, component and level say so.
public struct GaneshaLogLine: Sendable, Equatable {
    public var time: Substring
    public var epoch: UInt64
    public var host: Substring
    public var program: Substring
    public var pid: Int32
    public var thread: Substring
    public var function: Substring
    public var component: Substring
    public var level: Substring
    public var message: Substring

    /// Ganesha's short level names (`tabLogLevel`).
    public static let levels: Set<Substring> = ["NULL", "FATAL", "MAJ", "CRIT", "WARN", "EVENT", "INFO", "DEBUG", "M_DBG", "F_DBG"]

    /// nil for anything that is not a whole header followed by a message: Ganesha's own
    /// early output, another process's, or text that only looks like a header somewhere.
    public init?(_ line: String) {
        var rest = Substring(line)
        if rest.last == "\r" { rest.removeLast() }
        guard let time = Self.time(&rest), rest.skip(" : epoch "),
              let epochText = rest.take(while: \.isHexDigit, limit: 16), rest.skip(" : "),
              let epoch = UInt64(epochText, radix: 16),
              let host = rest.take(while: { !$0.isWhitespace && $0 != ":" }, limit: 255), rest.skip(" : "),
              let programAndPid = rest.take(while: { $0 != "[" && !$0.isWhitespace }, limit: 255), rest.skip("["),
              let dash = programAndPid.lastIndex(of: "-"),
              let pid = Int32(programAndPid[programAndPid.index(after: dash)...]),
              let thread = rest.take(while: { $0 != "]" && !$0.isNewline }, limit: 64), rest.skip("] "),
              let function = rest.take(until: " :", limit: 128, { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }),
              let component = rest.take(until: " :", limit: 32, { $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == " " || $0 == "_") }),
              let level = rest.take(until: " :", limit: 8, { $0.isASCII && ($0.isUppercase || $0 == "_") }),
              Self.levels.contains(level)
        else { return nil }
        self.time = time
        self.epoch = epoch
        self.host = host
        self.program = programAndPid[..<dash]
        self.pid = pid
        self.thread = thread
        self.function = function
        self.component = component
        self.level = level
        message = rest
    }

    /// `dd/mm/yyyy hh:mm:ss`, Ganesha's default date and time.
    private static func time(_ rest: inout Substring) -> Substring? {
        let shape = Array("00/00/0000 00:00:00".utf8)
        let utf8 = rest.utf8
        guard utf8.count >= shape.count else { return nil }
        for (expected, found) in zip(shape, utf8) {
            guard expected == UInt8(ascii: "0") ? (0x30...0x39).contains(found) : expected == found else { return nil }
        }
        let end = utf8.index(utf8.startIndex, offsetBy: shape.count)
        defer { rest = rest[end...] }
        return rest[..<end]
    }

    /// The fields a re-logged line carries beside Ganesha's own text, taken from its header
    /// and never from its message.
    public var metadata: Logger.Metadata {
        ["component": "\(component)", "function": "\(function)", "ganeshaLevel": "\(level)"]
    }
}

extension Substring {
    /// Drops `prefix` when the text starts with it.
    fileprivate mutating func skip(_ prefix: String) -> Bool {
        guard hasPrefix(prefix) else { return false }
        self = dropFirst(prefix.count)
        return true
    }

    /// Takes 1...`limit` characters that satisfy `accepted` up to `separator`, and the
    /// separator; nil for none, more, or no separator after them.
    fileprivate mutating func take(until separator: String, limit: Int, _ accepted: (Character) -> Bool) -> Substring? {
        guard let found = prefix(limit + separator.count).firstRange(of: separator), found.lowerBound > startIndex,
              self[..<found.lowerBound].allSatisfy(accepted) else { return nil }
        defer { self = self[found.upperBound...] }
        return self[..<found.lowerBound]
    }

    /// Takes 1...`limit` leading characters that satisfy `accepted`; nil (and nothing
    /// taken) for none or more.
    fileprivate mutating func take(while accepted: (Character) -> Bool, limit: Int) -> Substring? {
        var end = startIndex
        var count = 0
        while end < endIndex, accepted(self[end]) {
            count += 1
            guard count <= limit else { return nil }
            formIndex(after: &end)
        }
        guard count > 0 else { return nil }
        defer { self = self[end...] }
        return self[..<end]
    }
}
