import Testing
@testable import HeartbeatCore

@Suite struct ConfigValuesTests {
    @Test(arguments: [
        ("1", 1000), ("30", 30000), ("0.1", 100), (".5", 500), ("2.", 2000), ("1.5", 1500), ("0.001", 1),
        ("1000ms", 1000), ("1500MS", 1500), ("250msec", 250), ("1000000us", 1000), ("100000usec", 100),
        ("499us", 0), ("501us", 1), ("0", 0), ("2.5ms", 3),
    ])
    func timeSyntax(text: String, milliseconds: Int64) {
        let time = ConfigValues.time(text)
        #expect(time?.duration == .milliseconds(milliseconds))
        #expect(time?.usedSecondsSuffix == false)
    }

    @Test func secondsSuffixIsAcceptedButFlagged() {
        #expect(ConfigValues.time("2s") == .init(duration: .seconds(2), usedSecondsSuffix: true))
        #expect(ConfigValues.time("2sec") == .init(duration: .seconds(2), usedSecondsSuffix: true))
    }

    @Test(arguments: ["", "ms", "abc", "1.2.3", "-1", "10 ms", "10m", "10min", "1e3", "10msx", "1,5"])
    func badTimes(text: String) {
        #expect(ConfigValues.time(text) == nil)
    }

    @Test func booleansAre306Words() {
        for word in ["true", "on", "yes", "y", "1", "TRUE", "On", "Y"] { #expect(ConfigValues.boolean(word) == true) }
        for word in ["false", "off", "no", "n", "0", "OFF", "No"] { #expect(ConfigValues.boolean(word) == false) }
        for word in ["", "2", "enabled", "t"] { #expect(ConfigValues.boolean(word) == nil) }
    }

    @Test func addresses() {
        #expect(ConfigValues.ipv4("239.0.0.1") == [239, 0, 0, 1])
        #expect(ConfigValues.ipv4("256.0.0.1") == nil)
        #expect(ConfigValues.ipv4("1.2.3") == nil)
        #expect(ConfigValues.ipv6("ff12::1:2:3:4")?.first == 0xff)
        #expect(ConfigValues.ipv6("::1") == Array(repeating: 0, count: 15) + [1])
        #expect(ConfigValues.ipv6("::ffff:10.0.0.1")?.suffix(4) == [10, 0, 0, 1])
        #expect(ConfigValues.ipv6("1:2:3:4:5:6:7:8")?.count == 16)
        #expect(ConfigValues.ipv6("1::2::3") == nil)
        #expect(ConfigValues.ipv6("fe80::g") == nil)
        #expect(ConfigValues.ipv6("10.0.0.1") == nil)
    }

    @Test func defaultsTableIsExactly306Output() {
        // Captured from `/usr/libexec/heartbeat/heartbeat -D` (Heartbeat 3.0.6).
        let expected = """
            Directive                Default   Description
            --------------------------------------------------------------------------------
            cluster                  linux-ha  the name of cluster
            hopfudge                 1         # of hops above cluster size
            keepalive                1000ms    keepalive time
            deadtime                 30000ms   node deadtime
            baud                     19200     baud rate
            auto_failback            legacy    auto failback
            hbgenmethod              file      protocol generation computation method
            realtime                 true      enable realtime behavior?
            msgfmt                   classic   message format in the wire
            conn_logd_time           60        the interval to reconnect to logd
            log_badpack              true      warn about bad packets
            syslogmsgfmt             true      log to files in syslog format
            coredumps                true      enable Linux-HA core dumps
            pacemaker                false     enable Pacemaker resource management
            autojoin                 none      set automatic join mode/style
            uuidfrom                 file      set the source for uuid
            compression              zlib      set compression module
            compression_threshold    2         set compression threshold
            traditional_compression  no        set traditional_compression
            max_rexmit_delay         250       set the maximum rexmit delay time
            record_config_changes    on        record changes to the cib (valid only with: pacemaker on)
            record_pengine_inputs    on        record the input used by the policy engine (valid only with: pacemaker on)
            enable_config_writes     on        write configuration changes to disk (valid only with: pacemaker on)
            memreserve               6500      number of kbytes to preallocate in heartbeat

            """
        #expect(HeartbeatDefaults.text == expected)
    }
}
