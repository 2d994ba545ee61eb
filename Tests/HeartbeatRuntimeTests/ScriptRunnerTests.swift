import Glibc
import HeartbeatCore
import Testing
@testable import HeartbeatRuntime

@Suite(.serialized) struct ScriptRunnerTests {
    /// Runs the loop until every script finished, reaping every 10 ms (signals go to any thread in a
    /// test process, so the test polls instead of relying on SIGCHLD).
    private func runAll(_ scripts: [(path: String, arguments: [String], timeout: Duration)]) throws -> [ScriptRunner.Finished] {
        let loop = try EventLoop()
        var finished: [ScriptRunner.Finished] = []
        let runner = ScriptRunner(loop: loop) { finished.append($0) }
        for (index, script) in scripts.enumerated() {
            try runner.run(id: UInt64(index), path: script.path, arguments: script.arguments,
                           environment: ["PATH=/usr/bin:/bin", "HA_TEST=yes"], timeout: script.timeout)
        }
        let giveUp = EventLoop.now() + .seconds(20)
        func poll() {
            runner.reap()
            runner.enforceTimeouts(now: EventLoop.now())
            if runner.running == 0 || EventLoop.now() > giveUp { loop.stop() } else { loop.setDeadline(EventLoop.now() + .milliseconds(10), poll) }
        }
        loop.setDeadline(EventLoop.now() + .milliseconds(10), poll)
        loop.run()
        return finished.sorted { $0.id < $1.id }
    }

    @Test func reportsExitCodeOutputAndEnvironment() throws {
        let results = try runAll([
            ("/bin/sh", ["-c", "echo out; echo err >&2; echo $HA_TEST; exit 3"], .seconds(10)),
            ("/bin/sh", ["-c", "true"], .seconds(10)),
        ])
        #expect(results.map(\.exitCode) == [3, 0])
        #expect(results[0].output == "out\nerr\nyes\n")
        #expect(results.allSatisfy { !$0.timedOut })
    }

    @Test func killsAScriptPastItsTimeoutWithItsChildren() throws {
        let started = EventLoop.now()
        let results = try runAll([("/bin/sh", ["-c", "sleep 30 & sleep 30"], .milliseconds(200))])
        #expect(results.count == 1)
        #expect(results[0].timedOut)
        #expect(results[0].exitCode == 128 + SIGTERM)
        #expect(EventLoop.now() - started < .seconds(5))
    }

    @Test func aBackgroundChildHoldingThePipeDoesNotDelayTheResult() throws {
        let started = EventLoop.now()
        let results = try runAll([("/bin/sh", ["-c", "(sleep 3) & echo started; exit 0"], .seconds(10))])
        #expect(results.first?.exitCode == 0)
        #expect(results.first?.output.hasPrefix("started") == true)
        #expect(EventLoop.now() - started < .seconds(2))
    }

    @Test func signalsAreUnblockedInScripts() throws {
        // The daemon blocks SIGTERM for its signalfd; a script must still die of SIGTERM.
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
        defer { pthread_sigmask(SIG_UNBLOCK, &blocked, nil) }
        let results = try runAll([("/bin/sh", ["-c", "kill -TERM $$; sleep 5; exit 0"], .seconds(10))])
        #expect(results.first?.exitCode == 128 + SIGTERM)
    }
}
