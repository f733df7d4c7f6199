// Shared by every MailCore harness (compiled into the same module as the harness and MailCore).

/// Stops the run with a message libFuzzer shows next to the reproducer: a broken invariant is a finding
/// just like a crash.
func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz invariant broken: \(message())") }
}

/// Splits the input at its first byte's value (mod count): one input drives two pieces.
func splitInput(_ bytes: [UInt8]) -> (first: [UInt8], second: [UInt8]) {
    guard let head = bytes.first else { return ([], []) }
    let rest = Array(bytes.dropFirst())
    let cut = rest.isEmpty ? 0 : Int(head) % (rest.count + 1)
    return (Array(rest[..<cut]), Array(rest[cut...]))
}

/// A small deterministic generator (SplitMix64) so that one input always runs the same way.
struct FuzzRandom {
    var state: UInt64

    init(seed: UInt8) { state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 }

    mutating func next(upTo bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(bound))
    }
}
