import NIOCore
import Synchronization

/// The open connections: counts per client address for the limits, and the channels for shutdown.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var perAddress: [String: Int] = [:]
        var nextID = 0
        var accepting = true
    }

    private let state = Mutex(State())
    private let maximumTotal: Int
    private let maximumPerAddress: Int
    /// A random prefix so connection ids differ between runs.
    private let prefix = String(UInt32.random(in: 0...UInt32.max), radix: 36)

    init(maximumTotal: Int, maximumPerAddress: Int) {
        self.maximumTotal = maximumTotal
        self.maximumPerAddress = maximumPerAddress
    }

    /// Registers a new connection; nil when a limit is reached or the server is shutting down.
    func admit(_ channel: any Channel, address: String) -> String? {
        state.withLock { state in
            guard state.accepting, state.channels.count < maximumTotal,
                state.perAddress[address, default: 0] < maximumPerAddress
            else { return nil }
            state.channels[ObjectIdentifier(channel)] = channel
            state.perAddress[address, default: 0] += 1
            state.nextID += 1
            return "\(prefix)\(String(state.nextID, radix: 36))"
        }
    }

    func remove(_ channel: any Channel, address: String) {
        state.withLock { state in
            guard state.channels.removeValue(forKey: ObjectIdentifier(channel)) != nil else { return }
            state.perAddress[address, default: 1] -= 1
            if state.perAddress[address] == 0 { state.perAddress[address] = nil }
        }
    }

    /// Stops admitting and returns the open channels.
    func stopAccepting() -> [any Channel] {
        state.withLock { state in
            state.accepting = false
            return Array(state.channels.values)
        }
    }

    var openChannels: [any Channel] { state.withLock { Array($0.channels.values) } }
}
