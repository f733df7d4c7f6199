import Synchronization

/// A value that a reload may replace while the server runs, read afresh by each new connection.
///
/// The TLS context is the case in point: SIGHUP loads a renewed certificate and `replace`s the context;
/// a connection accepted afterwards (or a STARTTLS begun on it) gets the new one, while connections
/// already open keep the context they started with.
///
/// ```swift
/// let tls = Reloadable(context)
/// // per accepted connection:
/// let context = tls.current
/// // on SIGHUP, once the new value has been built and checked:
/// tls.replace(newContext)
/// ```
public final class Reloadable<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    /// A holder whose first value is `value`.
    public init(_ value: Value) {
        self.value = Mutex(value)
    }

    /// The value now: what a connection accepted at this moment uses.
    public var current: Value { value.withLock { $0 } }

    /// Puts `newValue` in place for every later reader.
    public func replace(_ newValue: Value) {
        value.withLock { $0 = newValue }
    }

    /// Changes part of the value in place, under the lock, and returns the result: a reload that swaps a
    /// few settings of a larger configuration without racing another writer.
    @discardableResult
    public func update(_ change: (inout Value) -> Void) -> Value {
        value.withLock { value in
            change(&value)
            return value
        }
    }
}
