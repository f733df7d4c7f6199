/// Which messages to read ahead for a client that reads bodies one command at a time in a regular
/// order: the next message, the one before (a list shown newest first), or every n-th.
///
/// Such a client waits for the disk once per message when the mailbox is not in the page cache (a
/// restarted server, a folder never opened): a directory block, an inode and the file's blocks, one
/// after another, each behind the last command's round trip. The kernel reads ahead within a file, never
/// across files; this does it across files, the way a disk's read-ahead follows a stride.
///
/// A stride counts once two steps in a row are equal (three reads): a client jumping about hints nothing.
/// The positions are a folder's record positions, ascending by UID as the sequence numbers are.
struct ReadAheadPattern: Sendable, Equatable {
    /// How many messages ahead of the last read are hinted.
    static let window = 16
    /// The most bytes ahead of the last read: a client reading big messages one after another gets
    /// fewer of them ahead, never hundreds of megabytes.
    static let windowBytes = 4 << 20

    private var last: Int?
    private var step = 0
    private var steps = 0
    /// The furthest position hinted along `step` (nil: none since the stride last changed).
    private var hintedTo: Int?

    /// Notes a read of the one message at `position` of `count`, the message at `p` being `size(p)`
    /// bytes; returns the positions to read ahead, nearest first, each hinted once while the stride holds.
    mutating func read(position: Int, count: Int, size: (Int) -> Int = { _ in 0 }) -> [Int] {
        defer { last = position }
        guard let last else { return [] }
        let stride = position - last
        if stride == 0 { return [] }
        if stride == step {
            steps += 1
        } else {
            step = stride
            steps = 1
            hintedTo = nil
        }
        guard steps >= 2 else { return [] }
        // Like the kernel's read-ahead within a file: the window is topped up once half of it is read,
        // so a client reading message after message costs one hint per half window, not one per read.
        if let hintedTo, (hintedTo - position) / stride > Self.window / 2 { return [] }
        var ahead: [Int] = []
        var bytes = 0
        for distance in 1...Self.window {
            let next = position + distance * stride
            guard next >= 0, next < count else { break }
            bytes += size(next)
            guard bytes <= Self.windowBytes else { break }
            if let hintedTo, (next - hintedTo) * stride <= 0 { continue }
            ahead.append(next)
        }
        if let furthest = ahead.last { hintedTo = furthest }
        return ahead
    }

    /// Forgets the pattern: the client read something else (many messages at once, a part).
    mutating func reset() { self = ReadAheadPattern() }
}
