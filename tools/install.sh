#!/bin/sh
# install.sh install|uninstall: puts the daemon, tools and scripts where Heartbeat 3.0.6 admins look,
# under $DESTDIR. Sample configs go to /etc/ha.d only where the admin has none: an existing ha.cf,
# authkeys or haresources is never overwritten. Every file installed is listed in a manifest, and
# uninstall removes exactly those.
set -eu
action=$1
: "${PREFIX:=/usr}" "${SYSCONFDIR:=/etc}" "${DESTDIR:=}" "${BIN:=.build/release}"
root=$(cd "$(dirname "$0")/.." && pwd)
manifest="$DESTDIR$PREFIX/share/heartbeat-swift/installed-files"

put() {  # put MODE SOURCE TARGET: install one file and record it
    mkdir -p "$(dirname "$DESTDIR$3")"
    install -m "$1" "$2" "$DESTDIR$3"
    echo "$3" >> "$manifest.new"
}
link() {  # link TARGET NAME
    mkdir -p "$(dirname "$DESTDIR$2")"
    ln -sfn "$1" "$DESTDIR$2"
    echo "$2" >> "$manifest.new"
}

case $action in
install)
    mkdir -p "$(dirname "$manifest")"
    : > "$manifest.new"
    put 755 "$BIN/heartbeat" "$PREFIX/lib/heartbeat/heartbeat"
    link "../lib/heartbeat/heartbeat" "$PREFIX/sbin/heartbeat"
    put 755 "$BIN/cl_status" "$PREFIX/bin/cl_status"
    put 755 "$BIN/hbctl" "$PREFIX/bin/hbctl"
    for tool in hb_standby hb_takeover; do put 755 "$root/tools/$tool" "$PREFIX/share/heartbeat/$tool"; done
    put 755 "$root/ha.d/harc" "$SYSCONFDIR/ha.d/harc"
    put 644 "$root/ha.d/shellfuncs" "$SYSCONFDIR/ha.d/shellfuncs"
    for script in "$root"/ha.d/rc.d/*; do put 755 "$script" "$SYSCONFDIR/ha.d/rc.d/$(basename "$script")"; done
    for script in "$root"/resource.d/*; do put 755 "$script" "$SYSCONFDIR/ha.d/resource.d/$(basename "$script")"; done
    # The systemd unit names the daemon where this install put it.
    mkdir -p "$DESTDIR$PREFIX/lib/systemd/system"
    sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@SYSCONFDIR@|$SYSCONFDIR|g" "$root/tools/heartbeat.service" > "$DESTDIR$PREFIX/lib/systemd/system/heartbeat.service"
    chmod 644 "$DESTDIR$PREFIX/lib/systemd/system/heartbeat.service"
    echo "$PREFIX/lib/systemd/system/heartbeat.service" >> "$manifest.new"
    # Man pages, compressed as Debian ships them.
    pages=$(mktemp -d)
    for page in "$root"/man/*.[0-9]; do
        name=$(basename "$page")
        gzip -9nc "$page" > "$pages/$name.gz"
        put 644 "$pages/$name.gz" "$PREFIX/share/man/man${name##*.}/$name.gz"
    done
    rm -rf "$pages"
    # An admin's (or 3.0.6's) logrotate file stays; ours is the example then.
    put 644 "$root/tools/heartbeat.logrotate" "$PREFIX/share/doc/heartbeat-swift/examples/logrotate"
    if [ -e "$DESTDIR$SYSCONFDIR/logrotate.d/heartbeat" ]; then
        echo "kept the existing $SYSCONFDIR/logrotate.d/heartbeat (ours is in $PREFIX/share/doc/heartbeat-swift/examples/logrotate)"
    else
        put 644 "$root/tools/heartbeat.logrotate" "$SYSCONFDIR/logrotate.d/heartbeat"
    fi
    for doc in "$root"/README.md "$root"/docs/*.md; do put 644 "$doc" "$PREFIX/share/doc/heartbeat-swift/$(basename "$doc")"; done
    # A sample monitors file would turn monitoring on against groups the admin may not have.
    put 644 "$root/ha.d/monitors" "$PREFIX/share/doc/heartbeat-swift/examples/monitors"
    for sample in ha.cf authkeys haresources; do
        mode=644; [ $sample = authkeys ] && mode=600
        put $mode "$root/ha.d/$sample" "$PREFIX/share/doc/heartbeat-swift/examples/$sample"
        if [ -e "$DESTDIR$SYSCONFDIR/ha.d/$sample" ]; then
            echo "kept the existing $SYSCONFDIR/ha.d/$sample (example in $PREFIX/share/doc/heartbeat-swift/examples)"
        else
            put $mode "$root/ha.d/$sample" "$SYSCONFDIR/ha.d/$sample"
        fi
    done
    # Reinstalling keeps what an earlier install listed, so uninstall still removes all of it.
    if [ -f "$manifest" ]; then cat "$manifest" >> "$manifest.new"; fi
    echo "$PREFIX/share/heartbeat-swift/installed-files" >> "$manifest.new"
    sort -u "$manifest.new" > "$manifest" && rm -f "$manifest.new"
    echo "installed $(wc -l < "$manifest") files under ${DESTDIR:-/}"
    ;;
uninstall)
    [ -f "$manifest" ] || { echo "nothing installed (no $manifest)"; exit 0; }
    # Sample configs the admin has since edited are theirs now: keep them.
    while read -r path; do
        case $path in
        "$SYSCONFDIR"/ha.d/ha.cf|"$SYSCONFDIR"/ha.d/authkeys|"$SYSCONFDIR"/ha.d/haresources)
            if ! cmp -s "$DESTDIR$path" "$root/ha.d/$(basename "$path")"; then
                echo "kept $path (changed since install)"; continue
            fi ;;
        "$SYSCONFDIR"/logrotate.d/heartbeat)
            if ! cmp -s "$DESTDIR$path" "$root/tools/heartbeat.logrotate"; then
                echo "kept $path (changed since install)"; continue
            fi ;;
        esac
        rm -f "$DESTDIR$path"
        rmdir -p "$(dirname "$DESTDIR$path")" 2>/dev/null || true
    done < "$manifest"
    echo "uninstalled"
    ;;
*)
    echo "usage: $0 install|uninstall" >&2; exit 2 ;;
esac
