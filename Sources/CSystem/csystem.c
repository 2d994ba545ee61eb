#define _GNU_SOURCE
#include "csystem.h"
#include <errno.h>
#include <limits.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/watchdog.h>

int hb_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int hb_epoll_add(int epfd, int fd, uint64_t token) {
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = token };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int hb_epoll_del(int epfd, int fd) { return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL); }

/* epoll_pwait2 takes the timeout in nanoseconds, so no timerfd (and no re-arming system call per
 * deadline) is needed for the loop's one timer. Kernels before 5.11 lack it: epoll_wait then waits
 * the whole milliseconds that cover the rest. */
int hb_epoll_wait_until(int epfd, uint64_t *tokens, int max, int64_t deadline_ns) {
    struct epoll_event events[64];
    if (max > 64) max = 64;
    int n;
    if (deadline_ns < 0) {
        n = epoll_wait(epfd, events, max, -1);
    } else {
        int64_t left = deadline_ns - hb_monotonic_ns();
        if (left < 0) left = 0;
        struct timespec timeout = { .tv_sec = left / 1000000000, .tv_nsec = left % 1000000000 };
        n = epoll_pwait2(epfd, events, max, &timeout, NULL);
        if (n < 0 && errno == ENOSYS) {
            int64_t ms = (left + 999999) / 1000000;
            n = epoll_wait(epfd, events, max, ms > INT_MAX ? INT_MAX : (int)ms);
        }
    }
    if (n < 0) return errno == EINTR ? 0 : -1;
    for (int i = 0; i < n; i++) tokens[i] = events[i].data.u64;
    return n;
}

int hb_timerfd_create(void) {
    return timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
}

int hb_timerfd_set_abs(int fd, int64_t deadline_ns) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    if (deadline_ns > 0) {
        spec.it_value.tv_sec = deadline_ns / 1000000000;
        spec.it_value.tv_nsec = deadline_ns % 1000000000;
    }
    return timerfd_settime(fd, TFD_TIMER_ABSTIME, &spec, NULL);
}

int hb_signalfd(const int *signals, int count) {
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < count; i++) sigaddset(&set, signals[i]);
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return -1;
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int hb_signalfd_read(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    return n == (ssize_t)sizeof info ? (int)info.ssi_signo : -1;
}

void hb_unblock_all_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);
}

int64_t hb_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int hb_openpty(int *master, int *slave, char *name, int name_len) {
    char buffer[128];
    if (openpty(master, slave, buffer, NULL, NULL) != 0) return -1;
    if (name && name_len > 0) {
        strncpy(name, buffer, (size_t)name_len - 1);
        name[name_len - 1] = 0;
    }
    return 0;
}

int hb_watchdog_set_timeout(int fd, int seconds) {
    return ioctl(fd, WDIOC_SETTIMEOUT, &seconds);
}

int hb_set_realtime(int priority) {
    struct sched_param param = { .sched_priority = priority };
    return sched_setscheduler(0, SCHED_RR, &param);
}

/* MCL_ONFAULT locks each page when it is first touched instead of faulting in every mapped page
 * at once: the shared libraries' code we never run (most of libswiftCore and libcrypto) stays out
 * of memory, while every page the daemon does use is still locked before it could be paged out.
 * Kernels before 4.4 refuse the flag (EINVAL): then everything is locked, as before. */
int hb_mlockall(void) {
    if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) == 0) return 0;
    if (errno != EINVAL) return -1;
    return mlockall(MCL_CURRENT | MCL_FUTURE);
}

#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>

/* One SIOCGIF* request about the interface, answered in *req. */
static int if_request(const char *ifname, unsigned long request, struct ifreq *req) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    memset(req, 0, sizeof *req);
    strncpy(req->ifr_name, ifname, IFNAMSIZ - 1);
    int rc = ioctl(fd, request, req);
    close(fd);
    return rc;
}

static int if_ioctl(const char *ifname, unsigned long request, uint32_t *address) {
    struct ifreq req;
    if (if_request(ifname, request, &req) != 0) return -1;
    struct sockaddr_in *sin = (struct sockaddr_in *)(request == SIOCGIFBRDADDR ? &req.ifr_broadaddr : &req.ifr_addr);
    *address = sin->sin_addr.s_addr;
    return 0;
}

int hb_if_broadcast(const char *ifname, uint32_t *address) { return if_ioctl(ifname, SIOCGIFBRDADDR, address); }
int hb_if_address(const char *ifname, uint32_t *address) { return if_ioctl(ifname, SIOCGIFADDR, address); }

#include <net/if_arp.h>
int hb_if_hwaddr(const char *ifname, uint8_t *mac) {
    struct ifreq req;
    if (if_request(ifname, SIOCGIFHWADDR, &req) != 0 || req.ifr_hwaddr.sa_family != ARPHRD_ETHER) return -1;
    memcpy(mac, req.ifr_hwaddr.sa_data, 6);
    return 0;
}

int hb_mcast_join(int fd, uint32_t group, int ifindex) {
    struct ip_mreqn req;
    memset(&req, 0, sizeof req);
    req.imr_multiaddr.s_addr = group;
    req.imr_ifindex = ifindex;
    return setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &req, sizeof req);
}

int hb_mcast_sender(int fd, int ifindex, int ttl, int loop) {
    struct ip_mreqn req;
    memset(&req, 0, sizeof req);
    req.imr_ifindex = ifindex;
    unsigned char cttl = (unsigned char)ttl, cloop = (unsigned char)loop;
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &req, sizeof req) != 0) return -1;
    if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &cttl, 1) != 0) return -1;
    return setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &cloop, 1);
}

int hb_epoll_add_edge(int epfd, int fd, uint64_t token) {
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.u64 = token };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int hb_epoll_watch_writable(int epfd, int fd, uint64_t token, int on) {
    if (!on) {
        int rc = epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
        return rc != 0 && errno == ENOENT ? 0 : rc;
    }
    struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = token };
    int rc = epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    return rc != 0 && errno == EEXIST ? 0 : rc;
}

#include <fcntl.h>
#include <termios.h>

static speed_t serial_speed(int baud) {
    switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    default: return 0;
    }
}

int hb_serial_open(const char *path, int baud) {
    speed_t speed = serial_speed(baud);
    if (speed == 0) { errno = EINVAL; return -1; }
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -1;
    struct termios t;
    if (tcgetattr(fd, &t) != 0) { int e = errno; close(fd); errno = e; return -1; }
    /* 8N1 with the receiver on, modem lines ignored and hardware flow control, as 3.0.6. */
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | PARODD | CSTOPB);
    t.c_cflag |= CS8 | CREAD | CLOCAL | CRTSCTS;
    /* Exactly 3.0.6's input flags: ISTRIP clears bit 8 and IGNCR drops carriage returns;
       no XON/XOFF and no CR/NL mapping, so the text arrives as sent. */
    t.c_iflag = INPCK | ISTRIP | IGNCR | BRKINT;
    t.c_oflag = 0;
    t.c_lflag = 0;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 1;
    cfsetispeed(&t, speed);
    cfsetospeed(&t, speed);
    if (tcsetattr(fd, TCSANOW, &t) != 0) { int e = errno; close(fd); errno = e; return -1; }
    tcflush(fd, TCIOFLUSH);
    return fd;
}

int hb_serial_break(int fd) { return tcsendbreak(fd, 0); }

int hb_mcast6_join(int fd, const uint8_t *group, int ifindex) {
    struct ipv6_mreq req;
    memset(&req, 0, sizeof req);
    memcpy(&req.ipv6mr_multiaddr, group, 16);
    req.ipv6mr_interface = (unsigned)ifindex;
    return setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &req, sizeof req);
}

int hb_mcast6_sender(int fd, int ifindex, int hops, int loop) {
    unsigned index = (unsigned)ifindex;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index) != 0) return -1;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) != 0) return -1;
    return setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &loop, sizeof loop);
}

#include <fcntl.h>
int hb_pipe_cloexec_nonblock(int fds[2]) { return pipe2(fds, O_CLOEXEC | O_NONBLOCK); }

#include <fcntl.h>
#include <grp.h>
#include <sys/reboot.h>

pid_t hb_spawn_as(const char *path, char *const argv[], char *const envp[], uid_t uid, gid_t gid) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    /* Child: only async-signal-safe calls from here on. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setpgid(0, 0);
    /* Realtime priority is the daemon's alone: clients run at normal priority. */
    struct sched_param normal = { .sched_priority = 0 };
    sched_setscheduler(0, SCHED_OTHER, &normal);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        if (null > 2) close(null);
    }
    if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(127);
    execve(path, argv, envp);
    _exit(127);
}

int hb_reboot_now(void) {
    sync();
    return reboot(RB_AUTOBOOT);
}
