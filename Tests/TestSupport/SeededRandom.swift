import Foundation

/// SplitMix64: small, fast, and the same sequence for the same seed everywhere, so a test
/// driven by randomness prints its seed and can be replayed exactly.
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The seed from `variable` when set, else a fresh one; printed either way.
    public static func announced(_ test: String, variable: String, range: ClosedRange<UInt64> = 0...UInt64.max) -> (seed: UInt64, random: SeededRandom) {
        let seed = ProcessInfo.processInfo.environment[variable].flatMap { UInt64($0) } ?? .random(in: range)
        print("\(test): seed \(seed) (replay with \(variable)=\(seed))")
        return (seed, SeededRandom(seed: seed))
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
