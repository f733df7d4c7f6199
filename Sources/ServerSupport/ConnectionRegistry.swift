import NIOCore
import Synchronization

/// The open connections of one server, for its connection caps and its shutdown.
///
/// Connections are counted in total and per client address, and kept so that shutdown can reach every
/// one. SMTP and IMAP each own one; a refused connection is never counted.
///
/// ```swift
/// guard let number = registry.admit(channel, address: ip) else { return refuse(channel) }
/// // … at shutdown:
/// for channel in registry.stopAccepting() { say goodbye and close }
/// ```
public final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var perAddress: [String: Int] = [:]
        var nextNumber = 0
        var accepting = true
        var maximumTotal: Int
        var maximumPerAddress: Int
    }

    private let state: Mutex<State>
    /// Connections at once over all of the server's listeners.
    public var maximumTotal: Int { state.withLock { $0.maximumTotal } }
    /// Connections at once from one client address.
    public var maximumPerAddress: Int { state.withLock { $0.maximumPerAddress } }

    /// A registry with no connection yet.
    public init(maximumTotal: Int, maximumPerAddress: Int) {
        state = Mutex(State(maximumTotal: maximumTotal, maximumPerAddress: maximumPerAddress))
    }

    /// New caps for the connections admitted from now on (a SIGHUP reload); connections already open stay
    /// open even when they are now over a lowered cap.
    public func setMaximums(total: Int, perAddress: Int) {
        state.withLock { state in
            state.maximumTotal = total
            state.maximumPerAddress = perAddress
        }
    }

    /// Counts a new connection from `address` and forgets it when the channel closes; returns its
    /// number (1, 2, … in this registry, for connection ids), or nil — nothing counted — when a cap
    /// is reached or the server is shutting down.
    public func admit(_ channel: any Channel, address: String) -> Int? {
        let number: Int? = state.withLock { state in
            guard state.accepting, state.channels.count < state.maximumTotal,
                state.perAddress[address, default: 0] < state.maximumPerAddress
            else { return nil }
            state.channels[ObjectIdentifier(channel)] = channel
            state.perAddress[address, default: 0] += 1
            state.nextNumber += 1
            return state.nextNumber
        }
        if number != nil {
            channel.closeFuture.whenComplete { [self] _ in remove(channel, address: address) }
        }
        return number
    }

    /// Forgets a connection that `admit` counted (done by itself when the channel closes).
    public func remove(_ channel: any Channel, address: String) {
        state.withLock { state in
            guard state.channels.removeValue(forKey: ObjectIdentifier(channel)) != nil else { return }
            state.perAddress[address, default: 1] -= 1
            if state.perAddress[address] == 0 { state.perAddress[address] = nil }
        }
    }

    /// Stops admitting and returns the open channels.
    public func stopAccepting() -> [any Channel] {
        state.withLock { state in
            state.accepting = false
            return Array(state.channels.values)
        }
    }

    /// The connections open now.
    public var openChannels: [any Channel] { state.withLock { Array($0.channels.values) } }

    /// How many connections are open now.
    public var count: Int { state.withLock { $0.channels.count } }
}
