# shellcheck shell=bash
# Network namespaces for tests and benchmarks: hosts on a bridge namespace joined by veth links.
# The caller defines PREFIX (a name unique to the run) and the NAMESPACES array its cleanup deletes
# (Tests/lib/nodes.sh does both).
# Addresses are 10.77.0.i (eth0) and 10.78.0.i (eth1), inside these namespaces only.

# make_namespaces [N]: hosts ${PREFIX}-1..N on one bridge namespace, eth0 = 10.77.0.i/24.
make_namespaces() {
    local count=${1:-2} bridge=${PREFIX}-br
    ip netns add "$bridge"; NAMESPACES+=("$bridge")
    ip -n "$bridge" link add br0 type bridge
    ip -n "$bridge" link set br0 up
    for i in $(seq 1 "$count"); do
        local ns=${PREFIX}-$i
        ip netns add "$ns"; NAMESPACES=("$ns" "${NAMESPACES[@]}")
        ip link add "${PREFIX}a$i" netns "$ns" type veth peer name "p$i" netns "$bridge"
        ip -n "$ns" link set "${PREFIX}a$i" name eth0
        ip -n "$ns" addr add "10.77.0.$i/24" brd + dev eth0
        ip -n "$ns" link set eth0 up
        ip -n "$ns" link set lo up
        ip -n "$bridge" link set "p$i" master br0
        ip -n "$bridge" link set "p$i" up
    done
}

# add_second_medium N: a second bridge and eth1 = 10.78.0.i/24 on hosts 1..N.
add_second_medium() {
    local count=$1 bridge=${PREFIX}-br
    ip -n "$bridge" link add br1 type bridge
    ip -n "$bridge" link set br1 up
    for i in $(seq 1 "$count"); do
        local ns=${PREFIX}-$i
        ip link add "${PREFIX}b$i" netns "$ns" type veth peer name "q$i" netns "$bridge"
        ip -n "$ns" link set "${PREFIX}b$i" name eth1
        ip -n "$ns" addr add "10.78.0.$i/24" brd + dev eth1
        ip -n "$ns" link set eth1 up
        ip -n "$bridge" link set "q$i" master br1
        ip -n "$bridge" link set "q$i" up
    done
}

