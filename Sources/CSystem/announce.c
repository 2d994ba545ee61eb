#define _GNU_SOURCE
#include "csystem.h"
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <errno.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int hb_send_gratuitous_arp(int ifindex, const uint8_t *mac, const uint8_t *address) {
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ARP));
    if (fd < 0) return -1;
    /* Ethernet/IPv4 ARP request: sender = target = the address, target hardware unknown. */
    uint8_t packet[28] = { 0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01 };
    memcpy(packet + 8, mac, 6);
    memcpy(packet + 14, address, 4);
    memcpy(packet + 24, address, 4);
    struct sockaddr_ll to;
    memset(&to, 0, sizeof to);
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(ETH_P_ARP);
    to.sll_ifindex = ifindex;
    to.sll_halen = 6;
    memset(to.sll_addr, 0xff, 6);
    ssize_t sent = sendto(fd, packet, sizeof packet, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
    int saved = errno;
    close(fd);
    errno = saved;
    return sent == (ssize_t)sizeof packet ? 0 : -1;
}

int hb_send_unsolicited_na(int ifindex, const uint8_t *mac, const uint8_t *address) {
    int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_ICMPV6);
    if (fd < 0) return -1;
    int hops = 255, loop = 0;
    unsigned index = (unsigned)ifindex;
    struct sockaddr_in6 from;
    memset(&from, 0, sizeof from);
    from.sin6_family = AF_INET6;
    memcpy(&from.sin6_addr, address, 16);
    from.sin6_scope_id = IN6_IS_ADDR_LINKLOCAL(&from.sin6_addr) ? index : 0;
    /* Hop limit 255 or receivers drop it; no loop back, or our own kernel logs a stranger
       advertising its address. The kernel fills in the ICMPv6 checksum. */
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) != 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop, sizeof loop) != 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index) != 0 ||
        bind(fd, (struct sockaddr *)&from, sizeof from) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    /* Type 136, override flag, the target, and a target link-layer address option. */
    uint8_t packet[32] = { 136, 0, 0, 0, 0x20, 0, 0, 0 };
    memcpy(packet + 8, address, 16);
    packet[24] = 2;
    packet[25] = 1;
    memcpy(packet + 26, mac, 6);
    struct sockaddr_in6 to;
    memset(&to, 0, sizeof to);
    to.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
    to.sin6_scope_id = index;
    ssize_t sent = sendto(fd, packet, sizeof packet, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
    int saved = errno;
    close(fd);
    errno = saved;
    return sent == (ssize_t)sizeof packet ? 0 : -1;
}


int hb_ipv4_address_events_open(void) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
    if (fd < 0) return -1;
    struct sockaddr_nl local;
    memset(&local, 0, sizeof local);
    local.nl_family = AF_NETLINK;
    local.nl_groups = RTMGRP_IPV4_IFADDR;
    if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

void hb_address_events_drain(int fd) {
    /* An overrun (ENOBUFS) also ends the loop: the caller looks at the addresses themselves. */
    char buffer[8192];
    while (recv(fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0) {}
}
