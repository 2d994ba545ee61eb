# make install / make uninstall (tools/install.sh) into a DESTDIR, with stand-in binaries.

install_fixture() {
    mkdir -p "$T/bin" "$T/dest"
    for b in heartbeat cl_status hbctl; do printf '#!/bin/sh\necho %s\n' "$b" > "$T/bin/$b"; chmod 755 "$T/bin/$b"; done
}

test_install_layout_and_exact_uninstall() {
    install_fixture
    run env DESTDIR="$T/dest" PREFIX=/usr BIN="$T/bin" sh "$ROOT/tools/install.sh" install
    [ "$RC" = 0 ] || fail "install failed: $OUT"
    local f
    for f in usr/lib/heartbeat/heartbeat usr/bin/cl_status usr/bin/hbctl usr/share/heartbeat/hb_standby \
             usr/share/heartbeat/hb_takeover etc/ha.d/harc etc/ha.d/shellfuncs etc/ha.d/rc.d/status \
             etc/ha.d/resource.d/IPaddr2 etc/ha.d/ha.cf etc/ha.d/authkeys etc/ha.d/haresources \
             usr/lib/systemd/system/heartbeat.service etc/logrotate.d/heartbeat \
             usr/share/man/man8/heartbeat.8.gz usr/share/man/man5/ha.cf.5.gz usr/share/man/man5/authkeys.5.gz \
             usr/share/man/man5/haresources.5.gz usr/share/man/man5/monitors.5.gz usr/share/man/man1/cl_status.1.gz \
             usr/share/man/man8/hbctl.8.gz usr/share/doc/heartbeat-swift/examples/monitors; do
        [ -e "$T/dest/$f" ] || fail "missing $f"
    done
    # The sample monitors file names the sample's groups: in /etc/ha.d it would check the admin's.
    [ ! -e "$T/dest/etc/ha.d/monitors" ] || fail "install put a sample monitors file in /etc/ha.d"
    [ "$(readlink "$T/dest/usr/sbin/heartbeat")" = ../lib/heartbeat/heartbeat ] || fail "sbin/heartbeat link wrong"
    [ "$(stat -c %a "$T/dest/etc/ha.d/authkeys")" = 600 ] || fail "authkeys not mode 600"
    [ -x "$T/dest/etc/ha.d/resource.d/Dummy" ] || fail "resource scripts not executable"
    grep -qx 'ExecStart=/usr/lib/heartbeat/heartbeat -f' "$T/dest/usr/lib/systemd/system/heartbeat.service" \
        || fail "unit does not start the installed daemon"
    grep -qx 'ExecStopPost=/usr/lib/heartbeat/heartbeat --release-held' "$T/dest/usr/lib/systemd/system/heartbeat.service" \
        || fail "unit does not release what a killed daemon held"
    # man finds the installed page by name under the install's man path.
    MANPATH="$T/dest/usr/share/man" man -w hbctl | grep -qx "$T/dest/usr/share/man/man8/hbctl.8.gz" || fail "man cannot find hbctl(8)"
    grep -qx 'ConditionPathExists=/etc/ha.d/ha.cf' "$T/dest/usr/lib/systemd/system/heartbeat.service" \
        || fail "unit does not look for the installed ha.cf"
    run env DESTDIR="$T/dest" PREFIX=/usr sh "$ROOT/tools/install.sh" uninstall
    [ "$RC" = 0 ] || fail "uninstall failed: $OUT"
    [ -z "$(find "$T/dest" -mindepth 1 -not -type d)" ] || fail "left behind: $(find "$T/dest" -not -type d)"
}

test_install_never_overwrites_admin_config() {
    install_fixture
    mkdir -p "$T/dest/etc/ha.d"
    echo "node mine" > "$T/dest/etc/ha.d/ha.cf"
    run env DESTDIR="$T/dest" PREFIX=/usr BIN="$T/bin" sh "$ROOT/tools/install.sh" install
    [ "$RC" = 0 ] || fail "install failed: $OUT"
    [ "$(cat "$T/dest/etc/ha.d/ha.cf")" = "node mine" ] || fail "install overwrote the admin's ha.cf"
    [ -e "$T/dest/usr/share/doc/heartbeat-swift/examples/ha.cf" ] || fail "no example ha.cf"
    # An installed sample the admin edited afterwards is theirs: uninstall keeps it.
    echo "# edited" >> "$T/dest/etc/ha.d/haresources"
    run env DESTDIR="$T/dest" PREFIX=/usr sh "$ROOT/tools/install.sh" uninstall
    [ "$(cat "$T/dest/etc/ha.d/ha.cf")" = "node mine" ] || fail "uninstall removed the admin's ha.cf"
    [ -e "$T/dest/etc/ha.d/haresources" ] || fail "uninstall removed an edited haresources"
    [ ! -e "$T/dest/usr/lib/systemd/system/heartbeat.service" ] || fail "uninstall kept the systemd unit"
    [ ! -e "$T/dest/etc/ha.d/authkeys" ] || fail "uninstall kept an unedited sample"
}

test_install_keeps_an_existing_logrotate_file() {
    install_fixture
    mkdir -p "$T/dest/etc/logrotate.d"
    printf '/var/log/ha-log {\n    missingok\n}\n' > "$T/dest/etc/logrotate.d/heartbeat"
    run env DESTDIR="$T/dest" PREFIX=/usr/local BIN="$T/bin" sh "$ROOT/tools/install.sh" install
    [ "$RC" = 0 ] || fail "install failed: $OUT"
    grep -q "kept the existing /etc/logrotate.d/heartbeat" <<<"$OUT" || fail "install did not say it kept logrotate.d/heartbeat"
    [ "$(grep -c missingok "$T/dest/etc/logrotate.d/heartbeat")" = 1 ] && ! grep -q weekly "$T/dest/etc/logrotate.d/heartbeat" \
        || fail "install overwrote logrotate.d/heartbeat"
    grep -qx 'ExecStart=/usr/local/lib/heartbeat/heartbeat -f' "$T/dest/usr/local/lib/systemd/system/heartbeat.service" \
        || fail "unit does not follow PREFIX"
    run env DESTDIR="$T/dest" PREFIX=/usr/local sh "$ROOT/tools/install.sh" uninstall
    [ -e "$T/dest/etc/logrotate.d/heartbeat" ] || fail "uninstall removed the admin's logrotate file"
}
