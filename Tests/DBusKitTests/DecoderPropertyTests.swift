@testable import DBusKit
import Foundation
import Testing
import TestSupport

/// The decoder against random replies: what we encode comes back as itself, and whatever
/// libdbus accepts after random damage decodes to a value or an error, never a crash or a hang.
///
/// Seeded: the seed is printed, and `DECODER_PROPERTY_SEED=<n>` replays a run.
@Suite(.timeLimit(.minutes(2)))
struct DecoderPropertyTests {
    @Test func randomRepliesRoundTrip() throws {
        var random = SeededRandom.announced("randomRepliesRoundTrip", variable: "DECODER_PROPERTY_SEED").random
        for _ in 0..<2_000 {
            let values = (0..<Int.random(in: 0...4, using: &random)).map { _ in
                ValueGenerator.value(of: ValueGenerator.shape(depth: 4, using: &random), using: &random)
            }
            let bytes = try MessageFuzzing.marshalReply(values)
            let reply = try MessageFuzzing.decode(marshalled: bytes).get()
            #expect(reply.values == values)
            #expect(reply.signature == values.map(\.typeSignature).joined())
        }
    }

    @Test func damagedRepliesNeverCrashTheDecoder() throws {
        var random = SeededRandom.announced("damagedRepliesNeverCrashTheDecoder", variable: "DECODER_PROPERTY_SEED").random
        let seeds = try ValueGenerator.ganeshaReplies.map(MessageFuzzing.marshalReply)
        var accepted = 0
        var slowest = Duration.zero
        let clock = ContinuousClock()
        for round in 0..<5_000 {
            let original = round % 2 == 0
                ? seeds.randomElement(using: &random)!
                : try MessageFuzzing.marshalReply([ValueGenerator.value(of: ValueGenerator.shape(depth: 4, using: &random), using: &random)])
            let damaged = Mutator.mutate(original, splicingWith: seeds.randomElement(using: &random)!, using: &random)
            let started = clock.now
            if case .success = MessageFuzzing.decode(marshalled: damaged) { accepted += 1 }
            slowest = max(slowest, clock.now - started)
        }
        print("damaged replies: \(accepted) of 5000 still valid for libdbus and decoded; slowest decode \(slowest)")
        #expect(slowest < .seconds(1))
    }

    @Test func emptyAndTinyInputsAreErrors() {
        for bytes in [[], [0x6c], Array(repeating: 0, count: 16), Array(repeating: 0xff, count: 64)] as [[UInt8]] {
            guard case .failure(let error) = MessageFuzzing.decode(marshalled: bytes) else {
                Issue.record("\(bytes.count) junk bytes decoded")
                continue
            }
            #expect(error.name == DBusError.Name.badReply)
        }
    }

    @Test func invalidTreesAreRefusedBeforeLibdbus() {
        let invalid: [[DBusValue]] = [
            [.dictEntry(key: .string("k"), value: .int32(1))],
            [.array(elementSignature: "s", [.int32(1)])],
            [.array(elementSignature: "(", [])],
            [.structure([])],
            [.objectPath("not/a/path")],
            [.string("nul\0inside")],
            [.signature("a{")],
            [.variant(.dictEntry(key: .byte(1), value: .byte(2)))],
        ]
        for values in invalid {
            #expect(throws: DBusError.self) { try MessageFuzzing.marshalReply(values) }
        }
    }
}

/// Random D-Bus type shapes and values of those shapes.
enum ValueGenerator {
    indirect enum Shape {
        case basic(Character), array(Shape), dictionary(key: Character, value: Shape), structure([Shape]), variant
    }

    static let basics: [Character] = Array("ybnqiuxtdsog")

    static func shape(depth: Int, using random: inout SeededRandom) -> Shape {
        let pick = depth <= 0 ? 0 : Int.random(in: 0...9, using: &random)
        switch pick {
        case 6: return .array(shape(depth: depth - 1, using: &random))
        case 7: return .dictionary(key: basics.randomElement(using: &random)!, value: shape(depth: depth - 1, using: &random))
        case 8: return .structure((0..<Int.random(in: 1...4, using: &random)).map { _ in shape(depth: depth - 1, using: &random) })
        case 9: return .variant
        default: return .basic(basics.randomElement(using: &random)!)
        }
    }

    static func signature(_ shape: Shape) -> String {
        switch shape {
        case .basic(let code): String(code)
        case .array(let element): "a" + signature(element)
        case .dictionary(let key, let value): "a{" + String(key) + signature(value) + "}"
        case .structure(let fields): "(" + fields.map(signature).joined() + ")"
        case .variant: "v"
        }
    }

    static func value(of shape: Shape, using random: inout SeededRandom) -> DBusValue {
        let count = Int.random(in: 0...3, using: &random)
        switch shape {
        case .basic(let code): return basic(code, using: &random)
        case .array(let element):
            return .array(elementSignature: signature(element), (0..<count).map { _ in value(of: element, using: &random) })
        case .dictionary(let key, let valueShape):
            let entries = (0..<count).map { _ in
                DBusValue.dictEntry(key: basic(key, using: &random), value: value(of: valueShape, using: &random))
            }
            return .array(elementSignature: "{" + String(key) + signature(valueShape) + "}", entries)
        case .structure(let fields): return .structure(fields.map { value(of: $0, using: &random) })
        case .variant: return .variant(value(of: self.shape(depth: 2, using: &random), using: &random))
        }
    }

    static func basic(_ code: Character, using random: inout SeededRandom) -> DBusValue {
        switch code {
        case "y": .byte(.random(in: .min ... .max, using: &random))
        case "b": .bool(.random(using: &random))
        case "n": .int16(.random(in: .min ... .max, using: &random))
        case "q": .uint16(.random(in: .min ... .max, using: &random))
        case "i": .int32(.random(in: .min ... .max, using: &random))
        case "u": .uint32(.random(in: .min ... .max, using: &random))
        case "x": .int64(.random(in: .min ... .max, using: &random))
        case "t": .uint64(.random(in: .min ... .max, using: &random))
        case "d": .double(.random(in: -1e300...1e300, using: &random))
        case "o": .objectPath("/" + (0..<Int.random(in: 0...3, using: &random)).map { "p_\($0)" }.joined(separator: "/"))
        case "g": .signature(signature(shape(depth: 2, using: &random)))
        default: .string(String((0..<Int.random(in: 0...12, using: &random)).map { _ in Array("aZ9 /.\n\t\"é✓日🙂").randomElement(using: &random)! }))
        }
    }

    /// Shapes Ganesha answers with: ShowExports `(tt)a(qs((sb)…)(tt))`, and a stats reply `bs(tt)(stst…)`.
    static let ganeshaReplies: [[DBusValue]] = {
        let now = DBusValue.structure([.uint64(1_700_000_000), .uint64(123_456_789)])
        let flags = DBusValue.structure((0..<8).map { _ in .structure([.string("NFSv4"), .bool(true)]) })
        let export = DBusValue.structure([.uint16(1), .string("/export/vol-1"), flags, now])
        let counters = DBusValue.structure((0..<8).flatMap { [.string("op\($0)"), .uint64(UInt64($0) * 1000)] })
        return [
            [now, .array(elementSignature: "(qs((sb)(sb)(sb)(sb)(sb)(sb)(sb)(sb))(tt))", [export, export])],
            [.bool(true), .string("OK"), now, counters],
            [.bool(false), .string("export not found")],
        ]
    }()
}

/// Random damage: bit flips, overwritten bytes, truncation, insertion and splicing.
enum Mutator {
    static func mutate(_ bytes: [UInt8], splicingWith other: [UInt8], using random: inout SeededRandom) -> [UInt8] {
        var out = bytes
        for _ in 0..<Int.random(in: 1...4, using: &random) where !out.isEmpty {
            let at = Int.random(in: 0..<out.count, using: &random)
            switch Int.random(in: 0...5, using: &random) {
            case 0: out[at] ^= 1 << UInt8.random(in: 0...7, using: &random)
            case 1: out[at] = [0, 1, 0x7f, 0x80, 0xff, UInt8(ascii: "a"), UInt8(ascii: "(")].randomElement(using: &random)!
            case 2: out.removeSubrange(at...)
            case 3: out.insert(contentsOf: Array(out[at..<min(out.count, at + Int.random(in: 1...16, using: &random))]), at: at)
            case 4: out = Array(out[..<at]) + other[Int.random(in: 0..<other.count, using: &random)...]
            default: out.replaceSubrange(at..<min(out.count, at + 4), with: (0..<4).map { _ in UInt8.random(in: 0...255, using: &random) })
            }
        }
        return out
    }
}
