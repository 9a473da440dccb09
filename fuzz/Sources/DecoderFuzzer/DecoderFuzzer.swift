import DBusKit
import Foundation

/// libFuzzer's entry: one input is one D-Bus message (see ``FuzzInput``). libdbus
/// demarshals it (refusing what is invalid) and DBusKit decodes whatever it accepts. Any outcome is
/// fine except a crash, a leak the sanitizer sees, or a hang (libFuzzer's -timeout).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    switch MessageFuzzing.decode(marshalled: FuzzInput.message(from: input)) {
    case .success(let reply):
        // Touch the result so the decode cannot be optimised away, and check its invariant.
        let signature = reply.values.map(\.typeSignature).joined()
        if signature != reply.signature { fatalError("decoded \(signature) from a \(reply.signature) message") }
    case .failure:
        break
    }
    return 0
}

/// Called once before fuzzing. With `DECODER_FUZZ_WRITE_SEEDS=<dir>` it writes the seed
/// corpus (real marshalled replies in Ganesha's shapes) to `<dir>` and exits: run.sh uses
/// this so the seeds always come from the encoder of the code under test.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<Int32>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> Int32 {
    guard let dir = ProcessInfo.processInfo.environment["DECODER_FUZZ_WRITE_SEEDS"] else { return 0 }
    do {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (index, values) in SeedReplies.all.enumerated() {
            let message = try MessageFuzzing.marshalReply(values)
            let signature = values.map(\.typeSignature).joined()
            try Data([0] + message).write(to: URL(fileURLWithPath: dir).appendingPathComponent("whole-\(index).bin"))
            let structured = FuzzInput.structured(signature: signature, message: message)
            // A seed libdbus refuses would hide a mistake in FuzzInput's header.
            let decoded = try MessageFuzzing.decode(marshalled: FuzzInput.message(from: structured)).get()
            guard decoded.values == values else { fatalError("seed \(index) decodes to \(decoded.values)") }
            try Data(structured).write(to: URL(fileURLWithPath: dir).appendingPathComponent("body-\(index).bin"))
        }
        print("wrote \(2 * SeedReplies.all.count) seeds to \(dir)")
        exit(0)
    } catch {
        print("cannot write seeds to \(dir): \(error)")
        exit(1)
    }
}
