import Testing
@testable import HeartbeatCore

let monitorsPath = "/etc/ha.d/monitors"

/// Four groups: an address with a web server, a database, a second address group sharing the
/// `apache2` resource with the first (so `apache2` names no single group), an IPv6 address.
private let groupsText = """
    node1 IPaddr2::10.0.0.5/24/eth0 apache2
    node2 db Filesystem::/dev/sdb1::/srv/db::ext4 mysql
    node2 10.0.0.6 apache2
    node1 IPv6addr::fd00::5/64/eth0

    """

private let machine = FakeMachine(executables: FakeMachine().executables.union([
    "/etc/ha.d/resource.d/IPaddr2", "/etc/init.d/db", "/etc/ha.d/resource.d/Filesystem", "/etc/init.d/mysql",
    "/etc/ha.d/checks/mysql-alive", "/etc/ha.d/resource.d/IPv6addr",
]))

/// Validates the sample ha.cf and authkeys with `groupsText` and this monitors file.
private func validate(monitors: String?) -> (ClusterConfig?, [Diagnostic]) {
    ClusterConfig.validate(
        ConfigInput(
            configDirectory: "/etc/ha.d", initDirectory: "/etc/init.d", haCf: .text(Sample.haCf),
            authKeys: .text(Sample.authKeys), authKeysMode: 0o600, haResources: .text(groupsText),
            monitors: monitors.map { .text($0) } ?? .missing),
        machine: machine)
}

/// The one check of a one-line file, with no errors or warnings about it.
private func only(_ line: String) throws -> MonitorSpec {
    let (config, diagnostics) = validate(monitors: line + "\n")
    #expect(diagnostics.about(monitors: true) == [], "\(line): \(diagnostics)")
    let monitors = try #require(config?.monitors)
    try #require(monitors.count == 1)
    return monitors[0]
}

extension Array where Element == Diagnostic {
    /// Those about the monitors file (the sample ha.cf has warnings of its own).
    func about(monitors: Bool) -> [Diagnostic] { filter { ($0.file == monitorsPath) == monitors } }
}

@Suite struct ConfigMonitorsTests {
    @Test func noFileMeansNoMonitoring() throws {
        let (config, diagnostics) = validate(monitors: nil)
        #expect(!diagnostics.hasErrors)
        #expect(try #require(config).monitors == [])
    }

    @Test func theIssuesExampleReads() throws {
        let (config, diagnostics) = validate(monitors: """
            # group                      check                              options
            IPaddr2::10.0.0.5/24/eth0    status                             interval=5s timeout=3s
            IPaddr2::10.0.0.5/24/eth0    http://10.0.0.5:80/health          interval=2s timeout=1s fall=2 expect=200
            db                           exec:/etc/ha.d/checks/mysql-alive  interval=5s fall=3 restarts=2 window=10m
            db                           tcp:127.0.0.1:3306                 interval=1s timeout=500ms

            """)
        // Line 4 keeps the default timeout, as long as its interval.
        #expect(diagnostics.about(monitors: true).map(\.description) == [
            "/etc/ha.d/monitors:4: warning: timeout [5s] is not shorter than interval [5s]: a slow check delays the next one\n"
                + "  hint: make timeout shorter than interval (timeout defaults to 5s)",
        ])
        let monitors = try #require(config?.monitors)
        #expect(monitors.map(\.line) == [2, 3, 4, 5])
        #expect(monitors.map(\.group) == ["IPaddr2::10.0.0.5/24/eth0", "IPaddr2::10.0.0.5/24/eth0", "db", "db"])
        #expect(monitors[0].interval == .seconds(5) && monitors[0].timeout == .seconds(3))
        #expect(monitors[1].check == .http(url: "http://10.0.0.5:80/health", expect: HTTPExpectation(codes: [200]), verifyCertificate: true))
        #expect(monitors[1].fall == 2)
        #expect(monitors[2].check == .exec(path: "/etc/ha.d/checks/mysql-alive", arguments: []))
        #expect(monitors[2].restarts == 2 && monitors[2].window == .seconds(600))
        #expect(monitors[3].check == .tcp(host: "127.0.0.1", port: 3306))
        #expect(monitors[3].timeout == .milliseconds(500))
    }

    @Test func defaultsAreThoseOfMonitors5() throws {
        let spec = try only("db status")
        #expect(spec == MonitorSpec(group: "db", check: .status, line: 1))
        #expect(spec.interval == .seconds(10) && spec.timeout == .seconds(5))
        #expect(spec.fall == 1 && spec.rise == 1 && spec.restarts == 1)
        #expect(spec.startDelay == .zero && spec.window == .seconds(3600) && spec.holddown == .seconds(300))
        #expect(spec.onFail == .restart && spec.alias == nil)
    }

    @Test func everyOptionIsRead() throws {
        let spec = try only(##"db exec:/etc/ha.d/checks/mysql-alive interval=1.5 timeout=700ms fall=3 rise=2 start_delay=1m restarts=0 window=2h holddown=90s on_fail=restart args="-h 127.0.0.1" arg="two words" arg="#x""##)
        #expect(spec.check == .exec(path: "/etc/ha.d/checks/mysql-alive", arguments: ["-h", "127.0.0.1", "two words", "#x"]))
        #expect(spec.interval == .milliseconds(1500) && spec.timeout == .milliseconds(700))
        #expect(spec.fall == 3 && spec.rise == 2 && spec.restarts == 0)
        #expect(spec.startDelay == .seconds(60) && spec.window == .seconds(7200) && spec.holddown == .seconds(90))
        #expect(try only("db status on_fail=alert").onFail == .alert)
        #expect(try only("db status on_fail=ignore holddown=0").holddown == .zero)
        #expect(try only("db status interval=1min timeout=10").timeout == .seconds(10))
    }

    @Test func checksOfEveryKind() throws {
        #expect(try only("db tcp:[::1]:5432").check == .tcp(host: "::1", port: 5432))
        #expect(try only("db https://db.example.org/health insecure expect=2xx,301").check
            == .http(url: "https://db.example.org/health", expect: HTTPExpectation(codes: [301], classes: [2]), verifyCertificate: false))
        #expect(try only("IPaddr2::10.0.0.5/24/eth0 http://10.0.0.5/").check
            == .http(url: "http://10.0.0.5/", expect: .success, verifyCertificate: true))
        #expect(try only("db http://[::1]:8080/x?y=1").check.text == "http://[::1]:8080/x?y=1")
    }

    @Test func aGroupIsNamedByKeyTokenOrAlias() throws {
        #expect(try only("mysql status").group == "db")
        #expect(try only("Filesystem::/dev/sdb1::/srv/db::ext4 status").group == "db")
        #expect(try only("DB status").group == "db")
        #expect(try only("10.0.0.6 tcp:10.0.0.6:80").group == "10.0.0.6")

        // The alias is declared on a line naming the group otherwise, and usable on any line.
        let (config, diagnostics) = validate(monitors: """
            web http://10.0.0.5/health
            IPaddr2::10.0.0.5/24/eth0 status name=web
            Web tcp:10.0.0.5:443 name=web

            """)
        #expect(diagnostics.about(monitors: true) == [], "\(diagnostics)")
        let monitors = try #require(config?.monitors)
        #expect(monitors.map(\.group) == Array(repeating: "IPaddr2::10.0.0.5/24/eth0", count: 3))
        #expect(monitors.map(\.alias) == ["web", "web", "web"])
        // `hbctl monitor reset NAME` resolves with the same rules.
        let names = MonitorGroupNames(groups: try #require(config).resourceGroups, monitors: monitors)
        #expect(names.resolve("WEB") == .group(key: "IPaddr2::10.0.0.5/24/eth0"))
        #expect(names.resolve("mysql") == .group(key: "db"))
        #expect(names.resolve("apache2") == .ambiguous(["IPaddr2::10.0.0.5/24/eth0", "10.0.0.6"]))
        #expect(names.resolve("webb") == .unknown(suggestion: "web"))
    }

    @Test func unknownAndAmbiguousGroups() {
        let (config, diagnostics) = validate(monitors: "msql status\napache2 status\nfrobnicator status\nnothing status fall=0\n")
        #expect(config == nil)
        let unknown = diagnostics.at(monitorsPath, 1, "unknown group [msql]")
        #expect(unknown.first?.hint?.hasPrefix("did you mean mysql?") == true, "\(diagnostics)")
        #expect(diagnostics.has(.error, monitorsPath, 2, "[apache2] is a resource of several groups: IPaddr2::10.0.0.5/24/eth0, 10.0.0.6"))
        #expect(diagnostics.at(monitorsPath, 3, "unknown group [frobnicator]").first?.hint?.contains("did you mean") == false)
        // A line with an error of its own still has its group checked.
        #expect(diagnostics.has(.error, monitorsPath, 4, "invalid fall [0]"))
        #expect(diagnostics.has(.error, monitorsPath, 4, "unknown group [nothing]"))
        #expect(diagnostics.errors.count == 5)
    }

    @Test func conflictingAliasesAreRefused() {
        let (_, diagnostics) = validate(monitors: """
            db status name=data
            mysql status name=store
            10.0.0.6 status name=data
            10.0.0.6 status name=mysql
            10.0.0.6 status name=bad/name
            data status name=other

            """)
        #expect(diagnostics.has(.error, monitorsPath, 2, "group [db] is already named data (line 1)"))
        #expect(diagnostics.has(.error, monitorsPath, 3, "name=data already names group [db] (line 1)"))
        #expect(diagnostics.has(.error, monitorsPath, 4, "name=mysql is already a name of group [db]"))
        #expect(diagnostics.has(.error, monitorsPath, 5, "invalid name [bad/name]"))
        #expect(diagnostics.has(.error, monitorsPath, 6, "group [db] is already named data"))
        #expect(diagnostics.errors.count == 5, "\(diagnostics)")
    }

    /// Every malformed line form: refused at its line with a hint, all in one run, and no config.
    @Test func everyMalformedLineIsRefusedWithItsLine() {
        let cases: [(String, String)] = [
            ("db", "[db] names no check"),
            ("db stauts", "unknown check [stauts]"),
            ("db /usr/bin/check", "unknown check [/usr/bin/check]"),
            ("db exec:check", "exec: needs an absolute path"),
            ("db tcp:127.0.0.1", "invalid or missing port"),
            ("db tcp:127.0.0.1:0", "invalid or missing port"),
            ("db tcp:127.0.0.1:65536", "invalid or missing port"),
            ("db tcp::3306", "names no host"),
            ("db tcp:localhost:3306", "tcp: needs an IP address"),
            ("db tcp:fd00::1:80", "must be in brackets"),
            ("db tcp:[fd00::1:80", "'[' is not closed"),
            ("db tcp:[fd00::zz]:80", "invalid IPv6 address"),
            ("db http://localhost/", "http:// needs an IP address"),
            ("db http:///health", "names no host"),
            ("db http://10.0.0.5:http/", "invalid or missing port"),
            ("db https://bad_host/", "invalid host name"),
            ("db http://10.0.0.5/é", "printable ASCII"),
            ("db status interval", "option interval needs a value"),
            ("db status interval=", "option interval needs a value"),
            ("db status interval=fast", "invalid time [fast] for interval"),
            ("db status interval=5d", "invalid time [5d]"),
            ("db status interval=50ms", "shorter than 100ms"),
            ("db status timeout=0", "timeout must be longer than 0"),
            ("db status window=0", "window must be longer than 0"),
            ("db status window=800h", "longer than 30 days"),
            ("db status fall=0", "invalid fall [0]"),
            ("db status rise=-1", "invalid rise [-1]"),
            ("db status restarts=1001", "invalid restarts [1001]"),
            ("db status fall=2 fall=3", "option fall is given twice"),
            ("db status on_fail=reboot", "invalid on_fail [reboot]"),
            ("db status intervall=5", "unknown option [intervall=5]"),
            ("db status expect=200", "expect applies to http"),
            ("db http://10.0.0.5/ expect=2x", "invalid expect [2x]"),
            ("db http://10.0.0.5/ expect=200,", "invalid expect"),
            ("db http://10.0.0.5/ expect=600", "invalid expect"),
            ("db http://10.0.0.5/ insecure", "insecure applies to https"),
            ("db https://10.0.0.5/ insecure=yes", "insecure takes no value"),
            ("db status args=\"-x\"", "args/arg apply to exec"),
            ("db exec:/bin/true args=\"-x", "double quote is not closed"),
            ("nosuchgroup status", "unknown group [nosuchgroup]"),
        ]
        let text = cases.map(\.0).joined(separator: "\n") + "\n"
        let (config, diagnostics) = validate(monitors: text)
        #expect(config == nil)
        for (index, (line, message)) in cases.enumerated() {
            #expect(diagnostics.has(.error, monitorsPath, index + 1, message), "line \(index + 1) '\(line)': \(diagnostics.filter { $0.line == index + 1 })")
        }
        #expect(diagnostics.errors.count == cases.count, "\(diagnostics.errors)")
        #expect(diagnostics.errors.first?.description.hasPrefix("/etc/ha.d/monitors:1: error: [db] names no check\n  hint: ") == true)
        // The unknown option's hint suggests the closest one.
        #expect(diagnostics.at(monitorsPath, 31, "unknown option").first?.hint?.hasPrefix("did you mean interval?") == true)
    }

    @Test func commentsBlankLinesAndQuotes() throws {
        let (config, diagnostics) = validate(monitors: """
            # a comment

              db   status   # checks mysql too
            db exec:/etc/ha.d/checks/mysql-alive arg="a # b"\r

            """)
        #expect(diagnostics.errors == [], "\(diagnostics)")
        #expect(diagnostics.has(.warning, monitorsPath, 4, "CRLF"))
        let monitors = try #require(config?.monitors)
        #expect(monitors.map(\.line) == [3, 4])
        #expect(monitors[1].check == .exec(path: "/etc/ha.d/checks/mysql-alive", arguments: ["a # b"]))
    }

    @Test func warningsForChecksThatWorkBadly() throws {
        let (config, diagnostics) = validate(monitors: """
            db status interval=2s timeout=2s
            IPaddr2::10.0.0.5/24/eth0 tcp:10.0.0.9:80
            db tcp:10.0.0.5:3306
            10.0.0.6 http://10.0.0.6:8080/
            db exec:/usr/local/bin/missing
            db status fall=11
            db status on_fail=failover restarts=3
            db status interval=10s fall=3 window=20s
            db status interval=2s timeout=2s

            """)
        #expect(diagnostics.errors == [], "\(diagnostics)")
        #expect(try #require(config).monitors.count == 9)
        #expect(diagnostics.has(.warning, monitorsPath, 1, "timeout [2s] is not shorter than interval [2s]"))
        #expect(diagnostics.has(.warning, monitorsPath, 2, "group [IPaddr2::10.0.0.5/24/eth0] brings up 10.0.0.5, not [10.0.0.9]"))
        #expect(diagnostics.has(.warning, monitorsPath, 3, "group [db] brings up no address, not [10.0.0.5]"))
        #expect(diagnostics.at(monitorsPath, 4, "").isEmpty, "the IP shorthand is an IPaddr resource")
        #expect(diagnostics.has(.warning, monitorsPath, 5, "check program [/usr/local/bin/missing] is missing or not executable"))
        #expect(diagnostics.has(.warning, monitorsPath, 6, "fall=11 is unusually large"))
        #expect(diagnostics.has(.warning, monitorsPath, 7, "restarts has no effect with on_fail=failover"))
        #expect(diagnostics.has(.warning, monitorsPath, 8, "window [20s] is shorter than fall × interval [30s]"))
        #expect(diagnostics.has(.warning, monitorsPath, 9, "repeats line 1"))
        // Loopback and a status check of a group whose scripts may lack a status operation are fine.
        _ = try only("IPaddr2::10.0.0.5/24/eth0 tcp:127.0.0.2:80")
        _ = try only("10.0.0.6 status")
        _ = try only("IPv6addr::fd00::5/64/eth0 http://[fd00::5]/")
    }

    @Test func timeSyntaxAddsMinutesAndHours() {
        #expect(MonitorsParser.duration("10") == .seconds(10))
        #expect(MonitorsParser.duration("500ms") == .milliseconds(500))
        #expect(MonitorsParser.duration("2s") == .seconds(2))
        #expect(MonitorsParser.duration("5m") == .seconds(300))
        #expect(MonitorsParser.duration("1.5h") == .seconds(5400))
        #expect(MonitorsParser.duration("2min") == .seconds(120))
        #expect(MonitorsParser.duration("m") == nil)
        #expect(MonitorsParser.duration("5mh") == nil)
        #expect(MonitorsParser.duration("-1m") == nil)
    }

    @Test func anUnreadableFileIsAnError() {
        let (config, diagnostics) = ClusterConfig.validate(
            ConfigInput(
                configDirectory: "/etc/ha.d", haCf: .text(Sample.haCf), authKeys: .text(Sample.authKeys), authKeysMode: 0o600,
                haResources: .text(Sample.haResources), monitors: .unreadable("Permission denied")),
            machine: FakeMachine())
        #expect(config == nil)
        #expect(diagnostics.has(.error, monitorsPath, 0, "Cannot open monitors file [/etc/ha.d/monitors]: Permission denied"))
    }

    /// Lines put together from good and broken pieces: never a crash, a check exactly when its
    /// line has no error, and every diagnostic at that line with a hint.
    @Test func randomLinesAreEitherACheckOrAnError() {
        let pieces = [
            "db", "mysql", "apache2", "web", "10.0.0.6", "\"", "#", "status", "exec:/bin/x", "exec:", "tcp:127.0.0.1:1",
            "tcp:[::1]:65535", "tcp:1.2.3.4:99999", "http://10.0.0.5/", "https://h/", "http://[::1", "interval=1",
            "interval=0", "timeout=2m", "fall=3", "rise=0", "restarts=", "window=1h", "holddown=-1", "on_fail=ignore",
            "name=web", "name=db", "args=\"a b", "arg=", "expect=2xx", "expect=99", "insecure", "=", "==", "é", "\t",
        ]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let groups = HaResourcesParser.parse(groupsText, file: "/etc/ha.d/haresources").groups
        for _ in 0..<3000 {
            let line = (0..<next(6)).map { _ in pieces[next(pieces.count)] }.joined(separator: next(3) == 0 ? "" : " ")
            let (specs, diagnostics) = MonitorsParser.parse(line + "\n", file: monitorsPath, groups: groups)
            #expect(specs.count <= 1)
            #expect(specs.isEmpty == diagnostics.hasErrors || MonitorsParser.words(Substring(line))?.isEmpty == true, "\(line)")
            #expect(diagnostics.allSatisfy { $0.line == 1 && $0.hint?.isEmpty == false }, "\(line): \(diagnostics)")
        }
    }
}
