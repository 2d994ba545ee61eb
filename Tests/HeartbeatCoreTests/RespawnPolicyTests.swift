import HeartbeatCore
import Testing

@Suite struct RespawnPolicyTests {
    @Test func respawnGivesUpAfterTenQuickRestarts() {
        var policy = RespawnPolicy()
        for _ in 1...10 {
            let decision = policy.exited(exitCode: 1, ranFor: .seconds(1))
            #expect(decision == .restart)
        }
        let eleventh = policy.exited(exitCode: 1, ranFor: .seconds(1))
        #expect(eleventh == .tooFast)
    }

    @Test func aLongRunForgetsQuickExits() {
        var policy = RespawnPolicy()
        for _ in 1...10 { _ = policy.exited(exitCode: nil, ranFor: .milliseconds(10)) }
        let afterALongRun = policy.exited(exitCode: 0, ranFor: .seconds(30))
        #expect(afterALongRun == .restart)
        #expect(policy.quickExits == 0)
        for _ in 1...10 {
            let decision = policy.exited(exitCode: 0, ranFor: .seconds(29))
            #expect(decision == .restart)
        }
    }

    @Test func exit100StaysDown() {
        var policy = RespawnPolicy()
        let plain = policy.exited(exitCode: 100, ranFor: .seconds(1))
        let failfast = policy.exited(exitCode: 100, ranFor: .seconds(1), failfast: true)
        #expect(plain == .stayDown)
        #expect(failfast == .stayDown)
    }

    /// A signal or a non-zero code other than 100 is abnormal; only then does failfast reboot.
    @Test(arguments: [(nil, true), (2, true), (0, false), (100, false)] as [(Int32?, Bool)])
    func failfastRebootsOnAnAbnormalEnd(exitCode: Int32?, reboots: Bool) {
        var failfastPolicy = RespawnPolicy()
        let failfast = failfastPolicy.exited(exitCode: exitCode, ranFor: .seconds(60), failfast: true)
        #expect((failfast == .reboot) == reboots)
        var plainPolicy = RespawnPolicy()
        let plain = plainPolicy.exited(exitCode: exitCode, ranFor: .seconds(60))
        #expect(plain != .reboot)
    }
}
