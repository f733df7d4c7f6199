import MailTestSupport
import Testing

@testable import CorreoServer

@Suite(.offThePool) struct ServerLimitsTests {
    @Test func defaultsAreTheServersOwn() {
        let limits = ServerLimits()
        #expect(limits.maximumConnections == 1000)
        #expect(limits.maximumConnectionsPerAddress == 20)
        #expect(limits.commandTimeoutSeconds == 300)
        #expect(limits.loginTimeoutSeconds == 60)
        #expect(limits.authFailureDelayMilliseconds == 1000)
        #expect(limits.authFailuresBeforeBlock == 10)
        #expect(limits.invalidSetting == nil)
    }

    @Test func eachCountMustBeAtLeastOne() {
        #expect(ServerLimits(maximumConnections: 1).invalidSetting == nil)
        #expect(ServerLimits(maximumConnections: 0).invalidSetting == "max-connections")
        #expect(ServerLimits(commandTimeoutSeconds: 0).invalidSetting == "command-timeout")
        #expect(ServerLimits(loginTimeoutSeconds: 0).invalidSetting == "login-timeout")
        #expect(ServerLimits(authFailuresBeforeBlock: 0).invalidSetting == "auth-failures-before-block")
    }

    @Test func aDelayMayBeZeroButNotNegative() {
        #expect(ServerLimits(authFailureDelayMilliseconds: 0).invalidSetting == nil)
        #expect(ServerLimits(authFailureDelayMilliseconds: -1).invalidSetting == "auth-failure-delay-ms")
    }

    @Test func invalidLimitsFailValidation() {
        var configuration = CorreoConfiguration()
        configuration.limits.maximumConnectionsPerAddress = 0
        #expect(throws: ConfigurationError.invalidLimit("max-connections-per-address")) { try configuration.validate() }
    }

    @Test func theThrottleFollowsTheLimits() {
        let throttle = ServerLimits(authFailureDelayMilliseconds: 20, authFailuresBeforeBlock: 5).makeAuthThrottle()
        #expect(throttle.policy.delayPerFailure == .milliseconds(20))
        #expect(throttle.policy.maximumDelay == .milliseconds(100))
        #expect(throttle.policy.failuresBeforeBlock == 5)
        #expect(ServerLimits().makeAuthThrottle().policy.maximumDelay == .seconds(10))
    }
}
