import Foundation
import MailCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A message being received (SMTP DATA, IMAP APPEND) on its way into the Maildirs.
///
/// Collected in memory up to `MailStoreDefaults.deliveryWriteBufferBytes` and written in chunks into `STORAGE/tmp/`
/// until `deliver` links it into the recipients' new/ folders. Dropped or abandoned, it leaves nothing in any Maildir:
/// a file only ever appears in new/ through `MailStore.deliver`.
///
/// The temporary file is created at the first chunk write, so a small message touches the disk only
/// once, in its group commit.
public final class IncomingMessage: @unchecked Sendable {
    private struct State {
        var path: String
        var fd: Int32?
        var buffer: [UInt8] = []
        var size = 0
        var bareLineFeeds = 0
        var lastByte: UInt8 = 0
        var finished = false
        var failure: MailStoreError?
    }

    private let directory: String
    private let state: Mutex<State>

    init(directory: String) {
        self.directory = directory
        var initial = State(path: Self.candidatePath(in: directory))
        initial.buffer.reserveCapacity(MailStoreDefaults.deliveryWriteBufferBytes)
        state = Mutex(initial)
    }

    private static func candidatePath(in directory: String) -> String {
        directory + "/" + MaildirFileName.uniqueBase(size: 0, crlfSize: 0)
    }

    deinit {
        // Never delivered: the half-written file goes away with the message.
        state.withLock { state in
            guard !state.finished, let fd = state.fd else { return }
            close(fd)
            unlink(state.path)
        }
    }

    /// The temporary file (it exists once the first chunk was written, or after `finish`).
    var path: String { state.withLock { $0.path } }

    /// Bytes received so far.
    public var size: Int { state.withLock { $0.size } }

    /// Appends `bytes`; they reach the file in `MailStoreDefaults.deliveryWriteBufferBytes` chunks.
    ///
    /// A write error is thrown here or, at the latest, by `deliver`.
    public func write(_ bytes: some Collection<UInt8>) throws {
        try state.withLock { state in
            try append(bytes, to: &state)
            if state.buffer.count >= MailStoreDefaults.deliveryWriteBufferBytes {
                try flush(&state)
            }
        }
    }

    /// Appends `bytes` when they fit in the write buffer without a write(2), and returns true; returns
    /// false, appending nothing, when the caller must use `write` on a thread that may block.
    public func writeIfBuffered(_ bytes: some Collection<UInt8>) throws -> Bool {
        try state.withLock { state in
            guard state.buffer.count + bytes.count < MailStoreDefaults.deliveryWriteBufferBytes else { return false }
            try append(bytes, to: &state)
            return true
        }
    }

    private func append(_ bytes: some Collection<UInt8>, to state: inout State) throws {
        guard !state.finished else { throw MailStoreError.deliveryFinished }
        if let failure = state.failure { throw failure }
        // Callers in other modules reach this generic code unspecialised, where a loop over the octets
        // costs a witness call per octet (a third of the server's CPU for 200 KB messages): work on the
        // contiguous octets instead.
        let appended = bytes.withContiguousStorageIfAvailable { octets in
            Self.append(octets, to: &state)
        }
        if appended == nil { Array(bytes).withUnsafeBufferPointer { Self.append($0, to: &state) } }
    }

    private static func append(_ octets: UnsafeBufferPointer<UInt8>, to state: inout State) {
        state.bareLineFeeds += LineEnds.bareLineFeedCount(in: UnsafeRawBufferPointer(octets), previous: &state.lastByte)
        state.size += octets.count
        state.buffer.append(contentsOf: octets)
    }

    private func flush(_ state: inout State) throws {
        do {
            let fd = try openFile(&state)
            guard !state.buffer.isEmpty else { return }
            try POSIX.writeAll(fd, state.buffer, path: state.path)
            state.buffer.removeAll(keepingCapacity: true)
        } catch let error as MailStoreError {
            state.failure = error
            throw error
        }
    }

    /// The file, created on first use under a fresh unique name.
    private func openFile(_ state: inout State) throws -> Int32 {
        if let fd = state.fd { return fd }
        while true {
            do {
                let fd = try POSIX.open(state.path, O_WRONLY | O_CREAT | O_EXCL)
                state.fd = fd
                return fd
            } catch MailStoreError.io(_, _, EEXIST) {
                state.path = Self.candidatePath(in: directory)
            } catch MailStoreError.io(_, _, ENOENT) where !POSIX.isDirectory(directory) {
                // STORAGE/tmp/ was removed while the server ran: make it again.
                try POSIX.makeDirectory(directory)
            }
        }
    }

    /// The octets received so far, or nil when there are more than `limit`.
    ///
    /// What reached the temporary file, then what is still buffered: for checks that need the whole
    /// message (sender authentication) without holding every message in memory while it arrives.
    /// Blocks on disk I/O.
    public func contents(upTo limit: Int) throws -> [UInt8]? {
        try state.withLock { state -> [UInt8]? in
            guard !state.finished else { throw MailStoreError.deliveryFinished }
            if let failure = state.failure { throw failure }
            guard state.size <= limit else { return nil }
            let written = state.size - state.buffer.count
            var bytes = state.fd == nil ? [] : try POSIX.readRange(state.path, offset: 0, count: written)
            guard bytes.count == written else { throw POSIX.error("read", state.path, EIO) }
            bytes += state.buffer
            return bytes
        }
    }

    /// Drops the message: the temporary file is removed.
    public func abandon() {
        state.withLock { state in
            guard !state.finished else { return }
            state.finished = true
            guard let fd = state.fd else { return }
            close(fd)
            unlink(state.path)
        }
    }

    /// Writes what is buffered, fsyncs and closes the file, and returns its sizes.
    ///
    /// Sets the modification time to `modified` when given (APPEND's internal date: a Maildir's INTERNALDATE is the
    /// file's mtime), fsyncs and closes the file. Returns its size and CRLF size.
    func finish(modified: Date? = nil) throws -> (size: Int, crlfSize: Int) {
        let written = try finishWriting()
        do {
            if let modified {
                let seconds = Int(modified.timeIntervalSince1970)
                var times = [timespec(tv_sec: seconds, tv_nsec: 0), timespec(tv_sec: seconds, tv_nsec: 0)]
                futimens(written.fd, &times)
            }
            try POSIX.fsync(written.fd, path: written.path)
            close(written.fd)
        } catch {
            close(written.fd)
            unlink(written.path)
            throw error
        }
        return (written.size, written.crlfSize)
    }

    /// Writes what is buffered and hands over the open, not yet synced file: from here the caller
    /// closes and removes it (group commit fsyncs it together with others).
    func finishWriting() throws -> (fd: Int32, path: String, size: Int, crlfSize: Int) {
        try state.withLock { state -> (fd: Int32, path: String, size: Int, crlfSize: Int) in
            guard !state.finished else { throw MailStoreError.deliveryFinished }
            do {
                if let failure = state.failure { throw failure }
                try flush(&state)
            } catch {
                state.finished = true
                if let fd = state.fd {
                    close(fd)
                    unlink(state.path)
                }
                throw error
            }
            state.finished = true
            guard let fd = state.fd else { throw MailStoreError.deliveryFinished }
            return (fd, state.path, state.size, state.size + state.bareLineFeeds)
        }
    }
}
