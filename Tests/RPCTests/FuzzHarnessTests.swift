import FuzzHarness
import Testing

/// The libFuzzer targets' bodies (scripts/fuzz.sh runs them under libFuzzer) over their seeds
/// and deterministic mutations of them, so that the harness works and never traps on the
/// inputs it starts from.
@Suite("Fuzz harness: seeds and mutations")
struct FuzzHarnessTests {
  /// SplitMix64, so that a failure reproduces.
  struct Mutations: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  static func mutated(_ seed: [UInt8], _ rng: inout Mutations) -> [UInt8] {
    var bytes = seed
    for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
      let at = Int.random(in: 0..<bytes.count, using: &rng)
      switch Int.random(in: 0..<4, using: &rng) {
      case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
      case 1: bytes.remove(at: at)
      case 2: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: at)
      default: bytes = Array(bytes[..<at])
      }
    }
    return bytes
  }

  @Test func decodeSeedsAndMutations() {
    let seeds = FuzzDecode.seeds()
    #expect(seeds.count >= 100, "one seed per message type of the contract")
    var rng = Mutations(state: 1)
    for seed in seeds {
      seed.withUnsafeBytes { FuzzDecode.run($0) }
      for _ in 0..<20 { Self.mutated(seed, &rng).withUnsafeBytes { FuzzDecode.run($0) } }
    }
  }

  @Test func connectionSeedsAndMutations() {
    let seeds = FuzzConnection.seeds()
    #expect(seeds.count >= 5)
    var rng = Mutations(state: 2)
    for seed in seeds {
      // Each seed is answered: a preface, and STATUS, PING ACK or GOAWAY frames.
      #expect(seed.withUnsafeBytes { FuzzConnection.run($0) } > 16 + 12)
      for _ in 0..<100 { _ = Self.mutated(seed, &rng).withUnsafeBytes { FuzzConnection.run($0) } }
    }
  }
}
