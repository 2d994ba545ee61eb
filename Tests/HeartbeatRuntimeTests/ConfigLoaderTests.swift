import Glibc
import HeartbeatCore
import Testing
@testable import HeartbeatRuntime

@Suite struct ConfigLoaderTests {
    private static let repository: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path
    }()

    private func temporaryDirectory() -> String {
        var template = Array("/tmp/hb-config-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    }

    private func write(_ text: String, to path: String, mode: mode_t = 0o644) throws {
        try writeDurably(Array(text.utf8), to: path, mode: mode)
    }

    @Test func shippedSampleLoadsWithoutErrors() {
        // git does not keep mode 600; the Makefile sets it, and so does this test.
        _ = chmod(Self.repository + "/ha.d/authkeys", 0o600)
        let (config, diagnostics) = ConfigLoader(configDirectory: Self.repository + "/ha.d", nodeName: "node1").load()
        #expect(!diagnostics.hasErrors, "\(diagnostics)")
        #expect(config?.nodes == ["node1", "node2"])
    }

    @Test func daemonRefusesOnlyAStonithTypeItCannotRun() throws {
        let directory = temporaryDirectory()
        try write("node alpha beta\nbcast eth0\n\nwatchdog /dev/watchdog\nping 10.0.0.254\nstonith_host * ipmilan 10.0.0.9\n",
                  to: directory + "/ha.cf")
        try write("auth 1\n1 crc\n", to: directory + "/authkeys", mode: 0o600)
        try write("", to: directory + "/haresources")
        let (config, diagnostics) = ConfigLoader(configDirectory: directory, nodeName: "alpha").load()
        #expect(!diagnostics.hasErrors, "\(diagnostics)")
        // The watchdog and ping nodes run; a STONITH type we cannot run is refused with its line.
        let stonith = Stonith.diagnostics(try #require(config), haCfPath: directory + "/ha.cf")
        #expect(stonith.map(\.line) == [6])
        #expect(stonith.allSatisfy { $0.severity == .error && $0.hint != nil })
        #expect(stonith.first?.description.hasPrefix(directory + "/ha.cf:6: error: STONITH device type [ipmilan] is not supported") == true)
    }

    /// `monitors` is read with the other files (a broken one stops the start), and `heartbeat -r`
    /// re-reads it alone: the new checks, or every error at once.
    @Test func monitorsFileIsReadAndReRead() throws {
        let directory = temporaryDirectory()
        try write("node alpha beta\nbcast eth0\nlogfacility daemon\n", to: directory + "/ha.cf")
        try write("auth 1\n1 sha1 s\n", to: directory + "/authkeys", mode: 0o600)
        try write("alpha Dummy::web\n", to: directory + "/haresources")
        _ = mkdir(directory + "/resource.d", 0o755)
        try write("#!/bin/sh\n", to: directory + "/resource.d/Dummy", mode: 0o755)
        let loader = ConfigLoader(configDirectory: directory, nodeName: "alpha")
        let config = try #require(loader.load().0)
        #expect(config.monitors == [])

        try write("Dummy::web tcp:127.0.0.1:80 name=www\n", to: directory + "/monitors")
        #expect(try #require(loader.load().0).monitors.map(\.alias) == ["www"])
        #expect(try ConfigLoader.loadMonitors(dir: directory, cluster: config).map(\.check) == [.tcp(host: "127.0.0.1", port: 80)])

        try write("Dummy::web status name=www\nwww exec:relative\ndummy::wbe status\n", to: directory + "/monitors")
        let (broken, diagnostics) = loader.load()
        #expect(broken == nil)
        #expect(diagnostics.filter { $0.severity == .error }.map(\.line) == [2, 3])
        #expect(throws: MonitorsFileError.self) { try ConfigLoader.loadMonitors(dir: directory, cluster: config) }
        do {
            _ = try ConfigLoader.loadMonitors(dir: directory, cluster: config)
        } catch {
            #expect(error.description.hasPrefix(directory + "/monitors:2: error: exec: needs an absolute path"))
            #expect(error.description.contains(directory + "/monitors:3: error: unknown group [dummy::wbe]\n  hint: did you mean Dummy::web?"))
        }
    }
}
