import Testing
@testable import HeartbeatCore

/// A two-node cluster with one ping node, as `cl_status` would see it from alice.
func sampleReport() -> StatusReport {
    StatusReport(
        localNode: "alice",
        nodes: [
            .init(name: "alice", status: .active, generation: 7,
                  links: [.init(name: "eth0", status: .up), .init(name: "eth1", status: .up)],
                  lateHeartbeat: .init(maxIntervalMs: 1010, p99IntervalMs: 1002), lastHeardAgeMs: 3),
            .init(name: "bob", status: .dead, site: "rack2", generation: 3,
                  links: [.init(name: "eth0", status: .dead), .init(name: "eth1", status: .up)]),
            .init(name: "10.0.0.254", type: .ping, status: .ping,
                  links: [.init(name: "10.0.0.254", status: .up)]),
            .init(name: "carol", status: .up, weight: 50, links: [.init(name: "eth0", status: .up)]),
            .init(name: "dave", status: .initial, links: [.init(name: "eth0", status: .dead)]),
        ],
        resources: .local,
        parameters: ["keepalive": "1000ms", "warntime": "15000ms", "udpport": "694"],
        rejectedPackets: ["auth": 2],
        clients: [.init(node: "alice", client: "ipfail", status: .online),
                  .init(node: "bob", client: "ipfail", status: .leave),
                  .init(node: "carol", client: "ipfail", status: .join)]
    )
}

private func run(_ arguments: String, _ report: StatusReport? = sampleReport()) -> ClStatus.Output {
    ClStatus.run(arguments: arguments.split(separator: " ").map(String.init), report: report)
}

@Suite struct ControlClStatusTests {
    @Test func usageForNoArgumentsOrDashH() {
        for arguments in [[], ["-h"]] {
            let output = ClStatus.run(arguments: arguments, report: nil)
            #expect(output.exitCode == 0)
            #expect(output.stdout.hasPrefix("Usage: cl_status <sub-command> [<options>] [<parameters>]\n\nSub-commands:\n"))
            #expect(output.stderr == "")
            #expect(ClStatus.preflight(arguments: arguments) == output)
        }
    }

    @Test func unknownSubCommandIsAParameterErrorWithoutAskingTheDaemon() {
        let expected = ClStatus.Output(stderr: "ERROR: linkstatus: invalid sub-command.\n", exitCode: 11)
        #expect(ClStatus.preflight(arguments: ["linkstatus", "alice"]) == expected)
        #expect(run("linkstatus alice", nil) == expected)
        #expect(run("-m hbstatus").exitCode == 11)
        #expect(run("-h extra").exitCode == 11)
        // Known sub-commands all need the daemon (hbstatus included: it reports on it).
        #expect(ClStatus.preflight(arguments: ["nodestatus"]) == nil)
        #expect(ClStatus.preflight(arguments: ["hbstatus"]) == nil)
    }

    @Test func hbstatus() {
        #expect(run("hbstatus") == .init(stdout: "Heartbeat is running on this machine.\n", exitCode: 0))
        #expect(run("hbstatus -m") == .init(stdout: "Heartbeat is running on this machine.\n", exitCode: 0))
        #expect(run("hbstatus", nil) == .init(stdout: "Heartbeat is stopped on this machine.\n", exitCode: 1))
        #expect(run("hbstatus -v", nil) == .init(
            stdout: "Heartbeat is stopped on this machine.\n(hb_api_signon: Can't initiate connection to heartbeat)\n",
            exitCode: 1))
        let refused = ClStatus.run(arguments: ["hbstatus"], daemon: .refused(reason: "too many clients"))
        #expect(refused == .init(
            stdout: "Heartbeat is apparently running on this machine, but refuses my connection\n", exitCode: 0))
        #expect(ClStatus.run(arguments: ["hbstatus"], daemon: .timedOut) == .init(exitCode: 12))
        // Bad options are reported by getopt and otherwise ignored, as in 3.0.6.
        #expect(run("hbstatus -x") == .init(stdout: "Heartbeat is running on this machine.\n",
                                            stderr: "hbstatus: invalid option -- 'x'\n", exitCode: 0))
    }

    @Test func hbstatusVerboseBlock() {
        let small = StatusReport(localNode: "alice", nodes: [
            .init(name: "alice", status: .active, links: [.init(name: "eth0", status: .up)]),
            .init(name: "10.0.0.254", type: .ping, status: .ping, links: [.init(name: "10.0.0.254", status: .up)]),
        ])
        #expect(run("hbstatus -v", small).stdout == """
            version:\t3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)
            managed by:\t"haresources"

            alice\tactive\t(nodetype: normal)
            \teth0\tup

            10.0.0.254\tping\t(nodetype: ping)
            \t10.0.0.254\tup

            """)
        #expect(run("hbstatus -v -m", small).stdout == """
            Heartbeat version 3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)
            Resources controlled by "haresources"
            The nodes are as follow:

            alice\tactive\t(nodetype: normal)
            \tthis node has the following heartbeat links:
            \teth0\tup

            10.0.0.254\tping\t(nodetype: ping)
            \tthis node has the following heartbeat links:
            \t10.0.0.254\tup

            """)
    }

    @Test func commandsOtherThanHbstatusNeedTheDaemon() {
        for command in ["listnodes", "nodestatus", "nodestatus alice", "rscstatus", "hbparameter -p keepalive", "test"] {
            #expect(run(command, nil) == .init(
                stderr: "ERROR: Cannot signon with heartbeat\nERROR: REASON: hb_api_signon: Can't initiate connection to heartbeat\n",
                exitCode: 1), "\(command)")
        }
        let prefixed = ClStatus.run(arguments: ["listnodes"], daemon: .refused(reason: "permission denied"),
                                    logPrefix: "Nov 27 10:30:34 vm cl_status: [7826]: ")
        #expect(prefixed.stderr == "Nov 27 10:30:34 vm cl_status: [7826]: ERROR: Cannot signon with heartbeat\n"
            + "Nov 27 10:30:34 vm cl_status: [7826]: ERROR: REASON: permission denied\n")
        #expect(ClStatus.run(arguments: ["listnodes"], daemon: .timedOut) == .init(exitCode: 12))
    }

    @Test func listnodesInConfigOrderWithFilters() {
        #expect(run("listnodes") == .init(stdout: "alice\nbob\n10.0.0.254\ncarol\ndave\n", exitCode: 0))
        #expect(run("listnodes -n").stdout == "alice\nbob\ncarol\ndave\n")
        #expect(run("listnodes -p").stdout == "10.0.0.254\n")
        #expect(run("listnodes -n -p").stdout == "alice\nbob\n10.0.0.254\ncarol\ndave\n")
        #expect(run("listnodes -np").stdout == "alice\nbob\n10.0.0.254\ncarol\ndave\n")
        #expect(run("listnodes -m -p").stdout == "The nodes are as follow:\n10.0.0.254\n")
        #expect(run("listnodes -x").exitCode == 11)
    }

    @Test func listnodesVerboseExactBytes() {
        let output = run("listnodes -v -n")
        #expect(output.exitCode == 0)
        #expect(Array(output.stdout.utf8) == Array(("\nalice\tactive\t(nodetype: normal)\n\teth0\tup\n\teth1\tup\n"
            + "\nbob\tdead\t(nodetype: normal)\n\teth0\tdead\n\teth1\tup\n"
            + "\ncarol\tup\t(nodetype: normal)\n\teth0\tup\n"
            + "\ndave\tinit\t(nodetype: normal)\n\teth0\tdead\n").utf8))
    }

    @Test func nodestatusExitCodesAndPhrasing() {
        #expect(run("nodestatus alice") == .init(stdout: "active\n", exitCode: 0))
        #expect(run("nodestatus carol") == .init(stdout: "up\n", exitCode: 0))
        #expect(run("nodestatus 10.0.0.254") == .init(stdout: "ping\n", exitCode: 0))
        #expect(run("nodestatus bob") == .init(stdout: "dead\n", exitCode: 1))
        #expect(run("nodestatus dave") == .init(stdout: "init\n", exitCode: 1))
        #expect(run("nodestatus -m bob") == .init(stdout: "The cluster node bob is dead\n", exitCode: 1))
        // Options may follow operands (GNU getopt permutes), and names compare lower-cased (§5.7).
        #expect(run("nodestatus ALICE -m") == .init(stdout: "The cluster node ALICE is active\n", exitCode: 0))
        #expect(run("nodestatus zed") == .init(stderr: "Error. May be due to incorrect node name\n", exitCode: 11))
        #expect(run("nodestatus") == .init(stderr: "Not enough parameters.\n", exitCode: 11))
        #expect(run("nodestatus -v alice").exitCode == 11)
        #expect(run("nodestatus -- -m").stderr == "Error. May be due to incorrect node name\n")
    }

    @Test func nodeTypeWeightSite() {
        #expect(run("nodetype 10.0.0.254") == .init(stdout: "ping\n", exitCode: 0))
        #expect(run("nodetype -m alice") == .init(stdout: "The node alice's type: normal\n", exitCode: 0))
        #expect(run("nodetype zed").exitCode == 11)
        #expect(run("nodeweight alice") == .init(stdout: "100\n", exitCode: 0))
        #expect(run("nodeweight carol -m") == .init(stdout: "The weight of the cluster node carol is 50\n", exitCode: 0))
        #expect(run("nodeweight zed") == .init(stderr: "Error. Maybe due to incorrect node name.\n", exitCode: 11))
        #expect(run("nodesite bob") == .init(stdout: "rack2\n", exitCode: 0))
        #expect(run("nodesite alice") == .init(stdout: "\n", exitCode: 0))
        #expect(run("nodesite -m bob") == .init(stdout: "The site of the cluster node bob is rack2\n", exitCode: 0))
        #expect(run("nodesite zed").exitCode == 11)
    }

    @Test func listhblinks() {
        #expect(run("listhblinks bob") == .init(stdout: "\teth0\n\teth1\n", exitCode: 0))
        #expect(run("listhblinks -v bob") == .init(stdout: "\teth0\tdead\n\teth1\tup\n", exitCode: 0))
        #expect(run("listhblinks -m alice").stdout == "\tthis node has the following heartbeat links:\n\teth0\n\teth1\n")
        #expect(run("listhblinks") == .init(stderr: "Not enough parameters.\n", exitCode: 11))
        let unknown = run("listhblinks zed")
        #expect(unknown.exitCode == 13)
        #expect(unknown.stderr.hasPrefix("ERROR: Cannot start heartbeat link interface walk.\n"))
    }

    @Test func hblinkstatusExitCodes() {
        #expect(run("hblinkstatus alice eth0") == .init(stdout: "up\n", exitCode: 0))
        #expect(run("hblinkstatus bob eth0") == .init(stdout: "dead\n", exitCode: 1))
        #expect(run("hblinkstatus -m bob eth1") == .init(stdout: "The node bob's heartbeat link eth1 is up\n", exitCode: 0))
        #expect(run("hblinkstatus bob") == .init(stderr: "Not enough parameters.\n", exitCode: 11))
        let unknownLink = run("hblinkstatus bob eth9")
        #expect(unknownLink.exitCode == 13)
        #expect(unknownLink.stderr.hasPrefix("ERROR: Cannot get heartbeat link status\n"))
        #expect(run("hblinkstatus zed eth0").exitCode == 13)
    }

    @Test func clientstatusWordsAreExitCodes() {
        #expect(run("clientstatus alice ipfail") == .init(stdout: "online\n", exitCode: 0))
        #expect(run("clientstatus alice ccm") == .init(stdout: "offline\n", exitCode: 1))
        #expect(run("clientstatus carol ipfail 100") == .init(stdout: "join\n", exitCode: 2))
        #expect(run("clientstatus -m bob ipfail") == .init(stdout: "leave\n", exitCode: 3))
        #expect(run("clientstatus bob") == .init(stderr: "Not enough parameters.\n", exitCode: 11))
        #expect(run("clientstatus zed ipfail").exitCode == 13)
    }

    @Test func rscstatus() {
        for holding in StatusReport.ResourceStatus.allCases {
            var report = sampleReport()
            report.resources = holding
            #expect(run("rscstatus", report) == .init(stdout: "\(holding.rawValue)\n", exitCode: 0))
            #expect(run("rscstatus -m", report).stdout == "This node is holding \(holding.rawValue) resources.\n")
        }
        var pacemaker = sampleReport()
        pacemaker.managedBy = "respawn"
        #expect(run("rscstatus", pacemaker).exitCode == 1)
        #expect(run("hbstatus -v", pacemaker).stdout.hasPrefix("version:\t3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)\nmanaged by:\tpacemaker\t(respawn)\n"))
    }

    @Test func hbparameter() {
        #expect(run("hbparameter -p keepalive") == .init(stdout: "1000ms\n", exitCode: 0))
        #expect(run("hbparameter -pwarntime") == .init(stdout: "15000ms\n", exitCode: 0))
        #expect(run("hbparameter -m -p udpport") == .init(stdout: "Heartbeat parameter udpport's value: 694\n", exitCode: 0))
        #expect(run("hbparameter -p hbversion").stdout == "3.0.6 (node: 958e11be8686759f1b99204c17812f2c2633b169)\n")
        let unset = run("hbparameter -p nice_failback")
        #expect(unset.exitCode == 1)
        #expect(unset.stdout == "")
        #expect(unset.stderr.hasPrefix("ERROR: Cannot get parameter nice_failback's value\n"))
        #expect(run("hbparameter") == .init(stderr: "ERROR: parameter name required\n", exitCode: 11))
        let missingValue = run("hbparameter -p")
        #expect(missingValue.exitCode == 11)
        #expect(missingValue.stderr.hasPrefix("hbparameter: option requires an argument -- 'p'\n"))
    }

    @Test func testSubCommand() {
        #expect(run("test") == .init(stdout: "Dead time: 30000\n keeplive time: 1000\n mynodeid: alice\n rsc: local\n", exitCode: 0))
    }
}
