import Foundation
import Glibc
import HeartbeatCore
import Testing
@testable import HeartbeatRuntime

/// The pure parts of the watchdog, STONITH and respawn runtime (RespawnPolicyTests, in the core,
/// covers the respawn decisions); the integration test Tests/integration/test_fencing.sh runs them for real.
@Suite struct FencingPartsTests {
    @Test(arguments: [(1000, 2), (990, 1), (30_000, 31), (60_000, 61), (500, 1), (2_990, 3), (2_991, 4)])
    func watchdogTimeoutIsDeadtimePlus10msRoundedUp(deadtimeMs: Int, seconds: Int32) {
        #expect(Watchdog.timeoutSeconds(deadtime: .milliseconds(deadtimeMs)) == seconds)
    }

    @Test func ipfailIsNotSpawned() {
        #expect(RespawnEntry(user: "hacluster", command: "/usr/lib/heartbeat/ipfail",
                             path: "/usr/lib/heartbeat/ipfail", failfast: false).isBuiltInArbitration)
        #expect(!RespawnEntry(user: "root", command: "/bin/ipfail-helper",
                              path: "/bin/ipfail-helper", failfast: false).isBuiltInArbitration)
    }

    private func temporaryDirectory() -> String {
        var template = Array("/tmp/hb-stonith-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    @Test func stonithDevicesResolve() throws {
        let dir = temporaryDirectory()
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        let plugin = dir + "/power"
        #expect(FileManager.default.createFile(atPath: plugin, contents: Data("#!/bin/sh\nexit 0\n".utf8),
                                               attributes: [.posixPermissions: 0o755]))
        #expect(FileManager.default.createFile(atPath: dir + "/power.cfg", contents: Data("# comment\nhostlist=n1,n2 # x\nip=10.0.0.9\n".utf8)))

        let host = StonithDirective(host: "*", type: "external/power", parameters: "hostlist=n1 ip=10.0.0.1", line: 3)
        #expect(try Stonith.resolve(host, pluginDirectory: dir).get()
                == .external(name: "power", plugin: plugin, parameters: ["hostlist=n1", "ip=10.0.0.1"]))
        let file = StonithDirective(host: nil, type: "external/power", parameters: dir + "/power.cfg", line: 3)
        #expect(try Stonith.resolve(file, pluginDirectory: dir).get()
                == .external(name: "power", plugin: plugin, parameters: ["hostlist=n1,n2", "ip=10.0.0.9"]))
        #expect(try Stonith.resolve(StonithDirective(host: nil, type: "meatware", parameters: "", line: 1),
                                    pluginDirectory: dir).get() == .meatware)

        for (type, parameters, why) in [("ipmilan", "", "not supported"), ("external/missing", "", "missing or not executable"),
                                        ("external/../power", "", "not a plugin name"), ("external/power", "novalue", "not name=value")] {
            let directive = StonithDirective(host: "*", type: type, parameters: parameters, line: 1)
            guard case .failure(let problem) = Stonith.resolve(directive, pluginDirectory: dir) else {
                Issue.record("\(type) resolved")
                continue
            }
            #expect(problem.message.contains(why), "\(problem.message)")
        }
    }
}
