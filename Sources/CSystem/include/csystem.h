#ifndef HEARTBEAT_CSYSTEM_H
#define HEARTBEAT_CSYSTEM_H
/* Thin wrappers over Linux calls that Swift's Glibc module does not expose.
   _GNU_SOURCE stays inside csystem.c: defining it here would break the Glibc module. */
#include <stdint.h>
#include <sys/types.h>

/* epoll */
int hb_epoll_create(void);
int hb_epoll_add(int epfd, int fd, uint64_t token);
int hb_epoll_del(int epfd, int fd);
/* Waits for events until deadline_ns (CLOCK_MONOTONIC, absolute; negative: no deadline); fills
   tokens[], returns the count, 0 on timeout or EINTR, -1 on error. */
int hb_epoll_wait_until(int epfd, uint64_t *tokens, int max, int64_t deadline_ns);

/* timerfd on CLOCK_MONOTONIC (the request server's own timer) */
int hb_timerfd_create(void);
/* Arms the timer for an absolute CLOCK_MONOTONIC time in nanoseconds (0 disarms). */
int hb_timerfd_set_abs(int fd, int64_t deadline_ns);

/* signalfd: blocks the given signals and returns a descriptor that reads them. */
int hb_signalfd(const int *signals, int count);
/* Reads one signal number from a signalfd, or -1. */
int hb_signalfd_read(int fd);
/* Unblocks every signal (for a child before exec). */
void hb_unblock_all_signals(void);

/* Monotonic and wall clocks */
int64_t hb_monotonic_ns(void);

/* Pseudo-terminal pair (serial tests) */
int hb_openpty(int *master, int *slave, char *name, int name_len);

/* Watchdog ioctls */
int hb_watchdog_set_timeout(int fd, int seconds);

/* Scheduling and memory */
int hb_set_realtime(int priority);
int hb_mlockall(void);


/* Network interfaces (IPv4 addresses in network byte order). */
int hb_if_broadcast(const char *ifname, uint32_t *address);
int hb_if_address(const char *ifname, uint32_t *address);
/* Joins an IPv4 multicast group on the interface with that index. */
int hb_mcast_join(int fd, uint32_t group, int ifindex);
/* Sends multicast from the interface with that index, with this TTL and loop flag. */
int hb_mcast_sender(int fd, int ifindex, int ttl, int loop);

/* Writable notification: adds (on != 0) or removes fd on an epoll set for EPOLLOUT only.
   Adding a descriptor that is already there, or removing one that is not, is not an error. */
/* Edge-triggered readable and writable: each change of either is reported once. */
int hb_epoll_add_edge(int epfd, int fd, uint64_t token);
int hb_epoll_watch_writable(int epfd, int fd, uint64_t token, int on);

/* Serial lines (spec section 4.4). Opens path O_RDWR|O_NOCTTY|O_NONBLOCK and sets 3.0.6's raw mode
   at `baud` (9600..460800). Returns the descriptor, or -1 with errno (EINVAL: unsupported speed). */
int hb_serial_open(const char *path, int baud);
/* Sends a break (the kernel holds the line for 0.25-0.5 s on a real UART; a pty ignores it). */
int hb_serial_break(int fd);

/* IPv6 multicast (group is 16 bytes in network order). */
int hb_mcast6_join(int fd, const uint8_t *group, int ifindex);
int hb_mcast6_sender(int fd, int ifindex, int hops, int loop);
/* A pipe whose both ends are close-on-exec and non-blocking. */
int hb_pipe_cloexec_nonblock(int fds[2]);

/* Respawned clients (spec section 7.4): forks; the child gets default signal dispositions and an
   empty mask, its own process group, stdio on /dev/null, the groups [gid], gid and uid, then
   execs path. Returns the child's pid, or -1 with errno if fork failed (exec failure: exit 127). */
pid_t hb_spawn_as(const char *path, char *const argv[], char *const envp[], uid_t uid, gid_t gid);
/* failfast: flush the disks and reboot the machine at once (like 3.0.6). */
int hb_reboot_now(void);

/* Address announcements (announce.c): one packet each, sent without blocking on the interface
   with that index; mac is the interface's 6-byte hardware address. 0, or -1 with errno. */
/* A gratuitous ARP request for address (4 bytes, network order), broadcast (RFC 5227 announcement). */
int hb_send_gratuitous_arp(int ifindex, const uint8_t *mac, const uint8_t *address);
/* An unsolicited neighbour advertisement for address (16 bytes) to all nodes, override flag set,
   hop limit 255, sent from that address (RFC 4861 section 7.2.6). */
int hb_send_unsolicited_na(int ifindex, const uint8_t *mac, const uint8_t *address);
/* A non-blocking rtnetlink socket that turns readable whenever an IPv4 address is added to or
   removed from an interface of this network namespace; -1 with errno on failure. */
int hb_ipv4_address_events_open(void);
/* Reads and drops every queued event of that socket. */
void hb_address_events_drain(int fd);
/* The interface's 6-byte Ethernet address (csystem.c); -1 when it has none. */
int hb_if_hwaddr(const char *ifname, uint8_t *mac);
#endif
