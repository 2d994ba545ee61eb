# Root only: IPaddr2/IPaddr in a network namespace this test creates, Filesystem with tmpfs.
# All addresses are 10.x inside the namespace; nothing touches the host's interfaces or mounts
# except the tmpfs on a directory under $T, which a cleanup hook unmounts.

# make_netns: a namespace $NS with interface $DEV up and 10.201.0.1/24 on it. A dummy interface
# when the kernel has the module, else one end of a veth pair (both ends inside the namespace).
make_netns() {
    need_root
    command -v ip >/dev/null || skip "iproute2 is not installed"
    NS=hbs$$
    ip netns add "$NS" 2>/dev/null || skip_netns "cannot create a network namespace"
    on_exit "ip netns del $NS"
    DEV=d0
    if ! ip -n "$NS" link add d0 type dummy 2>/dev/null; then
        DEV=v0
        ip -n "$NS" link add v0 type veth peer name v1 || fail "cannot create a veth pair"
        ip -n "$NS" link set v1 up
    fi
    ip -n "$NS" link set lo up
    ip -n "$NS" link set "$DEV" up || fail "link up"
    ip -n "$NS" addr add 10.201.0.1/24 dev "$DEV" || fail "base address"
}

# in_ns CMD...: run inside the namespace.
in_ns() {
    ip netns exec "$NS" "$@"
}

# addr_rows ADDRESS: the namespace's rows for ADDRESS, "dev cidr label".
addr_rows() {
    # One-line rows end the address part with "LABEL\"; the lifetimes follow.
    ip -n "$NS" -o -4 addr show to "$1/32" |
        awk '{ sub(/@.*/, "", $2); label = ""
               for (i = 5; i <= NF; i++) if ($i ~ /\\$/) { label = substr($i, 1, length($i) - 1); break }
               print $2, $4, label }'
}

test_ipaddr2_in_netns() {
    make_netns
    local a=10.201.0.50
    status_is in_ns "$RS/IPaddr2" $a stopped
    run in_ns "$RS/IPaddr2" $a start; expect_rc 0 "start"
    expect_match "$(addr_rows $a)" "^$DEV $a/24 " "address after start"
    run in_ns "$RS/IPaddr2" $a start; expect_rc 0 "second start"
    expect_eq "$(addr_rows $a | wc -l)" 1 "rows after a second start"
    status_is in_ns "$RS/IPaddr2" $a running
    status_is in_ns "$RS/IPaddr2" $a/24/$DEV running
    run in_ns "$RS/IPaddr2" $a stop; expect_rc 0 "stop"
    expect_eq "$(addr_rows $a)" "" "address after stop"
    run in_ns "$RS/IPaddr2" $a stop; expect_rc 0 "second stop"
    status_is in_ns "$RS/IPaddr2" $a stopped
    expect_match "$(addr_rows 10.201.0.1)" "^$DEV 10.201.0.1/24" "the base address survived"
}

test_ipaddr2_explicit_mask_label_broadcast() {
    make_netns
    local a=10.202.0.9
    run in_ns "$RS/IPaddr2" "$a/255.255.255.0/$DEV:vip/10.202.0.255" start; expect_rc 0 "start"
    expect_eq "$(addr_rows $a)" "$DEV $a/24 $DEV:vip" "address, mask and label"
    expect_contains "$(ip -n "$NS" -o -4 addr show to $a/32)" "brd 10.202.0.255"
    status_is in_ns "$RS/IPaddr2" "$a/255.255.255.0/$DEV:vip/10.202.0.255" running
    # Status and stop find the address without the interface.
    status_is in_ns "$RS/IPaddr2" $a running
    run in_ns "$RS/IPaddr2" $a stop; expect_rc 0 "stop without interface"
    expect_eq "$(addr_rows $a)" "" "address after stop"
    # /32 on an interface with no matching subnet, and errors.
    run in_ns "$RS/IPaddr2" 10.203.0.1//$DEV start; expect_rc 0 "no mask, no subnet: /32"
    expect_eq "$(addr_rows 10.203.0.1)" "$DEV 10.203.0.1/32 $DEV"
    run in_ns "$RS/IPaddr2" 10.204.0.1 start; expect_rc 6 "no interface has a matching subnet"
    run in_ns "$RS/IPaddr2" 10.201.0.60/24/nosuch0 start; expect_rc 6 "missing interface"
    run in_ns "$RS/IPaddr2" 10.201.0.60/24/$DEV:other start
    expect_rc 0 "label"
    run in_ns "$RS/IPaddr2" 10.201.0.61/24/$DEV:waytoolonglabel99 start; expect_rc 6 "label too long"
    run in_ns "$RS/IPaddr2" 10.201.0.300 start; expect_rc 2 "bad address"
    run in_ns "$RS/IPaddr2" 10.201.0.61/40 start; expect_rc 2 "bad mask"
    run in_ns "$RS/IPaddr2" 10.201.0.61 start extra; expect_rc 2 "too many arguments"
}

test_ipaddr2_ipv6_in_netns() {
    make_netns
    ip -n "$NS" addr add fd00:201::1/64 dev "$DEV" nodad || fail "base IPv6 address"
    local a=fd00:201::50
    status_is in_ns "$RS/IPaddr2" $a stopped
    run in_ns "$RS/IPaddr2" $a start; expect_rc 0 "start (subnet and interface from the on-link route)"
    expect_eq "$(ip -n "$NS" -o -6 addr show to $a/128 | awk '{ print $2, $4 }')" "$DEV $a/64"
    # No duplicate address detection: the address serves at once.
    ip -n "$NS" -6 addr show to $a/128 | grep -q tentative && fail "$a is tentative after start"
    run in_ns "$RS/IPaddr2" $a start; expect_rc 0 "second start"
    status_is in_ns "$RS/IPaddr2" $a/64/$DEV running
    run in_ns "$RS/IPaddr2" $a stop; expect_rc 0 "stop"
    status_is in_ns "$RS/IPaddr2" $a stopped
    run in_ns "$RS/IPaddr2" fd00:202::1 start; expect_rc 6 "no interface has a matching IPv6 subnet"
    run in_ns "$RS/IPaddr2" fd00:202::1/128/$DEV start; expect_rc 0 "explicit interface and prefix"
    run in_ns "$RS/IPaddr2" fd00:202::1/128/$DEV stop; expect_rc 0 "stop"
    run in_ns "$RS/IPaddr2" fd00:201::51/129 start; expect_rc 2 "bad prefix length"
    run in_ns "$RS/IPaddr2" fd00:201::51/64/$DEV:vip start; expect_rc 2 "IPv6 with a label"
    run in_ns "$RS/IPaddr2" fd00:201::zz start; expect_rc 2 "bad address"
}

test_ipaddr2_start_returns_before_arp_finishes() {
    make_netns
    command -v arping >/dev/null || skip "arping is not installed (apt-get install iputils-arping)"
    local t0 t1
    t0=$(now_ms)
    # Command substitution waits for stdout to close: a foreground or attached arping would
    # hold it for the HA_ARP_COUNT seconds.
    OUT=$(HA_ARP_COUNT=4 in_ns "$RS/IPaddr2" 10.201.0.70 start 2>&1)
    t1=$(now_ms)
    [ $((t1 - t0)) -lt 2500 ] || fail "start took $((t1 - t0)) ms; is arping in the foreground?"
    # On a dummy (NOARP) device nothing is sent; on veth arping runs.
    if [ "$DEV" = v0 ]; then
        expect_contains "$(cat "$HA_LOGFILE")" "gratuitous ARP packets for 10.201.0.70 on v0"
    fi
}

test_ipaddr_alias_labels_in_netns() {
    make_netns
    run in_ns "$RS/IPaddr" 10.201.0.80 start; expect_rc 0 "first"
    run in_ns "$RS/IPaddr" 10.201.0.81/24/$DEV start; expect_rc 0 "second"
    expect_eq "$(addr_rows 10.201.0.80)" "$DEV 10.201.0.80/24 $DEV:0"
    expect_eq "$(addr_rows 10.201.0.81)" "$DEV 10.201.0.81/24 $DEV:1"
    status_is in_ns "$RS/IPaddr" 10.201.0.80 running
    run in_ns "$RS/IPaddr" 10.201.0.80 start; expect_rc 0 "start again"
    expect_eq "$(addr_rows 10.201.0.80 | wc -l)" 1 "rows after start again"
    run in_ns "$RS/IPaddr" 10.201.0.80 stop; expect_rc 0 "stop"
    run in_ns "$RS/IPaddr" 10.201.0.80 stop; expect_rc 0 "stop again"
    status_is in_ns "$RS/IPaddr" 10.201.0.80 stopped
    # The freed label is reused.
    run in_ns "$RS/IPaddr" 10.201.0.82 start; expect_rc 0 "third"
    expect_eq "$(addr_rows 10.201.0.82)" "$DEV 10.201.0.82/24 $DEV:0"
    expect_contains "$(cat "$HA_LOGFILE")" "IPaddr["
}

test_sendarp_in_netns() {
    make_netns
    run in_ns "$RS/SendArp" 10.201.0.1 start; expect_rc 0 "start, interface found by subnet"
    status_is in_ns "$RS/SendArp" 10.201.0.1 running
    run in_ns "$RS/SendArp" 10.201.0.1 stop; expect_rc 0 "stop"
    run in_ns "$RS/SendArp" 10.250.0.1 start; expect_rc 6 "no interface"
}

test_filesystem_tmpfs() {
    need_root
    local dir=$T/mnt
    on_exit "umount -l '$dir' 2>/dev/null; umount -l '$dir' 2>/dev/null"
    status_is "$RS/Filesystem" tmpfs "$dir" tmpfs size=1m stopped
    run "$RS/Filesystem" tmpfs "$dir" tmpfs size=1m start; expect_rc 0 "start (creates the directory)"
    awk -v d="$dir" '$2 == d && $3 == "tmpfs" { f = 1 } END { exit !f }' /proc/mounts || fail "not in /proc/mounts"
    grep -F " $dir " /proc/mounts | grep -q 'size=1024k' || fail "options not applied"
    run "$RS/Filesystem" tmpfs "$dir/" tmpfs size=1m start; expect_rc 0 "second start (trailing slash)"
    expect_eq "$(grep -cF " $dir " /proc/mounts)" 1 "mounted once"
    status_is "$RS/Filesystem" tmpfs "$dir" tmpfs size=1m running
    run "$RS/Filesystem" tmpfs "$dir" tmpfs size=1m stop; expect_rc 0 "stop"
    status_is "$RS/Filesystem" tmpfs "$dir" tmpfs size=1m stopped
    run "$RS/Filesystem" tmpfs "$dir" tmpfs size=1m stop; expect_rc 0 "second stop"
    # Without OPTIONS (tmpfs needs its FSTYPE: mount cannot guess it from a pseudo device).
    run "$RS/Filesystem" tmpfs "$dir" tmpfs start; expect_rc 0 "start without options"
    status_is "$RS/Filesystem" tmpfs "$dir" tmpfs running
    run "$RS/Filesystem" tmpfs "$dir" tmpfs stop; expect_rc 0 "stop without options"
    run "$RS/Filesystem" tmpfs relative/dir tmpfs start; expect_rc 2 "relative directory"
    run "$RS/Filesystem" tmpfs start; expect_rc 2 "too few arguments"
}

test_filesystem_busy_stop_needs_force() {
    need_root
    command -v fuser >/dev/null || skip "fuser (psmisc) is not installed"
    local dir=$T/busy
    on_exit "umount -l '$dir' 2>/dev/null"
    "$RS/Filesystem" tmpfs "$dir" tmpfs start >/dev/null || fail "start"
    # A process with its working directory on the file system keeps it busy.
    (cd "$dir" && exec sleep 60) &
    local holder=$!
    on_exit "kill $holder"
    wait_for 5 eval '[ "$(readlink /proc/'"$holder"'/cwd)" = "'"$dir"'" ]' || fail "holder did not start"
    FILESYSTEM_UMOUNT_TRIES=2 run "$RS/Filesystem" tmpfs "$dir" tmpfs stop
    expect_rc 1 "busy stop without force"
    expect_contains "$(cat "$HA_LOGFILE")" "add force_unmount"
    status_is "$RS/Filesystem" tmpfs "$dir" tmpfs running
    kill -0 "$holder" || fail "the holder was killed without force_unmount"
    run "$RS/Filesystem" tmpfs "$dir" tmpfs force_unmount stop; expect_rc 0 "stop with force_unmount"
    status_is "$RS/Filesystem" tmpfs "$dir" tmpfs stopped
    wait_for 5 eval '! kill -0 '"$holder"' 2>/dev/null' || fail "the holder survived force_unmount"
    # The environment variable does the same for every Filesystem.
    "$RS/Filesystem" tmpfs "$dir" tmpfs start >/dev/null || fail "start again"
    (cd "$dir" && exec sleep 60) &
    holder=$!
    on_exit "kill $holder"
    wait_for 5 eval '[ "$(readlink /proc/'"$holder"'/cwd)" = "'"$dir"'" ]' || fail "second holder did not start"
    FILESYSTEM_FORCE_UNMOUNT=yes run "$RS/Filesystem" tmpfs "$dir" tmpfs stop
    expect_rc 0 "stop with FILESYSTEM_FORCE_UNMOUNT=yes"
    status_is "$RS/Filesystem" tmpfs "$dir" tmpfs stopped
}

# A block device whose mount point already holds another file system (a machine's tmpfs under the
# shared disk's mount point): only the device itself counts as mounted, by path and by label.
test_filesystem_block_device_over_another_mount() {
    need_root
    command -v losetup >/dev/null && command -v mkfs.ext4 >/dev/null || skip "util-linux or e2fsprogs is not installed"
    local dir=$T/data label=hbs$$ loop
    truncate -s 16M "$T/disk.img"
    mkfs.ext4 -q -L "$label" "$T/disk.img" || fail "mkfs.ext4"
    loop=$(losetup --find --show "$T/disk.img") || skip_netns "cannot attach a loop device"
    on_exit "losetup -d $loop"
    mkdir -p "$dir"
    mount -t tmpfs -o size=1m tmpfs "$dir" || fail "tmpfs"
    on_exit "umount -l '$dir'; umount -l '$dir'; umount -l '$dir'"
    ours() { awk -v d="$dir" -v s="$loop" '$5 == d && $0 ~ (" - ext4 " s " ") { n++ } END { print n + 0 }' /proc/self/mountinfo; }
    status_is "$RS/Filesystem" "$loop" "$dir" ext4 stopped
    status_is "$RS/Filesystem" "-L$label" "$dir" ext4 stopped
    run "$RS/Filesystem" "$loop" "$dir" ext4 start; expect_rc 0 "start over the tmpfs"
    expect_eq "$(ours)" 1 "the device is mounted"
    status_is "$RS/Filesystem" "$loop" "$dir" ext4 running
    status_is "$RS/Filesystem" "-L$label" "$dir" ext4 running
    status_is "$RS/Filesystem" "LABEL=$label" "$dir" ext4 running
    run "$RS/Filesystem" "$loop" "$dir" ext4 start; expect_rc 0 "second start"
    expect_eq "$(ours)" 1 "mounted once"
    run "$RS/Filesystem" "$loop" "$dir" ext4 stop; expect_rc 0 "stop"
    expect_eq "$(ours)" 0 "the device is unmounted"
    awk -v d="$dir" '$5 == d && / - tmpfs / { f = 1 } END { exit !f }' /proc/self/mountinfo || fail "stop took the tmpfs too"
    status_is "$RS/Filesystem" "$loop" "$dir" ext4 stopped
    run "$RS/Filesystem" "$loop" "$dir" ext4 stop; expect_rc 0 "second stop leaves the tmpfs alone"
    awk -v d="$dir" '$5 == d && / - tmpfs / { f = 1 } END { exit !f }' /proc/self/mountinfo || fail "a second stop took the tmpfs"
}

# Debian's 3.0.6 ResourceManager (hard-wired to /etc/ha.d) driving our scripts and shellfuncs:
# our ha.d is bind-mounted over /etc/ha.d inside a private mount namespace, so the machine's
# /etc/ha.d is never touched.
test_stock_resourcemanager_drives_our_scripts() {
    need_root
    local rm=/usr/share/heartbeat/ResourceManager
    [ -x "$rm" ] || skip "heartbeat 3.0.6 (Debian package heartbeat) is not installed"
    command -v unshare >/dev/null || skip "unshare is not installed"
    mkdir -p "$T/etc"
    cp -a "$HAD/shellfuncs" "$HAD/harc" "$HAD/rc.d" "$T/etc/"
    cp -a "$RS" "$T/etc/resource.d"
    printf 'alice Dummy::web Delay::0::0 Dummy::OK\n' > "$T/etc/haresources"
    cat > "$T/drive.sh" <<EOF
mount --bind "$T/etc" /etc/ha.d || exit 99
export HA_DEBUGLOG=$T/debug.log
$rm status Dummy::web; echo "status-before \$?"
$rm status Dummy::OK; echo "statusOK-before \$?"
$rm takegroup Dummy::web; echo "take \$?"
$rm status Dummy::web; echo "status-after-take \$?"
$rm status Dummy::OK; echo "statusOK-after-take \$?"
$rm statgroup Dummy::web; echo "statgroup \$?"
$rm givegroup Dummy::web; echo "give \$?"
$rm status Dummy::web; echo "status-after-give \$?"
EOF
    run unshare -m --propagation private sh "$T/drive.sh"
    [ "$RC" != 99 ] || skip_netns "cannot bind-mount in a private mount namespace"
    expect_eq "$OUT" $'status-before 3\nstatusOK-before 3\ntake 0\nstatus-after-take 0\nstatusOK-after-take 0\nstatgroup 0\ngive 0\nstatus-after-give 3'
    expect_contains "$(cat "$T/debug.log")" "ALL"
    expect_contains "$(cat "$HA_LOGFILE")" "Running /etc/ha.d/resource.d/Dummy web start"
    expect_contains "$(cat "$HA_LOGFILE")" "Running /etc/ha.d/resource.d/Delay 0 0 stop"
}
