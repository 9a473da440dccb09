import NIOCore
import NIOPosix

/// An ONC RPC NULL call to NFS (program 100003, version 4) over TCP: proof that the data
/// path answers, not just D-Bus. It creates no NFS client or session, so it never becomes a
/// recovery record that would hold the next grace period.
enum NFSNullProbe {
    /// True when `host:port` answered the NULL call with an accepted, successful reply in time.
    /// Through NIO's event loops: nothing blocks, and the bound covers connect, send and reply.
    static func answers(host: String, port: UInt16, timeout: Duration = .seconds(2)) async -> Bool {
        do {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
                .connect(host: host, port: Int(port)) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            return try await channel.executeThenClose { inbound, outbound in
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        try await outbound.write(ByteBuffer(bytes: request))
                        var reply: [UInt8] = []
                        for try await chunk in inbound {
                            reply += chunk.readableBytesView
                            if reply.count >= 28 { break }
                        }
                        return isSuccess(reply)
                    }
                    group.addTask {
                        try await Task.sleep(for: timeout)
                        return false
                    }
                    let answered = try await group.next() ?? false
                    group.cancelAll()
                    return answered
                }
            }
        } catch {
            // Refused, reset or timed out: all mean "the data path does not answer".
            return false
        }
    }

    static let xid: UInt32 = 0x5348_4D31  // "SHM1"

    /// The call: record mark, xid, CALL, RPC v2, program, version, procedure 0, AUTH_NONE twice.
    static var request: [UInt8] {
        let words: [UInt32] = [xid, 0, 2, 100_003, 4, 0, 0, 0, 0, 0]
        var bytes = bigEndian(0x8000_0000 | UInt32(words.count * 4))
        for word in words { bytes += bigEndian(word) }
        return bytes
    }

    /// An accepted reply: xid, REPLY, MSG_ACCEPTED, a verifier, then SUCCESS.
    static func isSuccess(_ reply: [UInt8]) -> Bool {
        guard reply.count >= 28 else { return false }
        func word(_ index: Int) -> UInt32 {
            reply[index..<index + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        let verifierLength = Int(word(20))
        let statusAt = 24 + (verifierLength + 3) / 4 * 4
        guard reply.count >= statusAt + 4 else { return false }
        return word(4) == xid && word(8) == 1 && word(12) == 0 && word(statusAt) == 0
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
