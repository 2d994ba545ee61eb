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
             etc/ha.d/resource.d/IPaddr2 etc/ha.d/ha.cf etc/ha.d/authkeys etc/ha.d/haresources; do
        [ -e "$T/dest/$f" ] || fail "missing $f"
    done
    [ "$(readlink "$T/dest/usr/sbin/heartbeat")" = ../lib/heartbeat/heartbeat ] || fail "sbin/heartbeat link wrong"
    [ "$(stat -c %a "$T/dest/etc/ha.d/authkeys")" = 600 ] || fail "authkeys not mode 600"
    [ -x "$T/dest/etc/ha.d/resource.d/Dummy" ] || fail "resource scripts not executable"
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
    [ ! -e "$T/dest/etc/ha.d/authkeys" ] || fail "uninstall kept an unedited sample"
}
