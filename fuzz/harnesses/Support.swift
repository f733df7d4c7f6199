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
