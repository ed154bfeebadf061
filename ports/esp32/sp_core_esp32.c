/*
 * sp_core_esp32.c - the ESP32 native engine core: sp_engine.h over lwIP's BSD socket API.
 *
 * Plain C, no MicroPython headers. Built into firmware against ESP-IDF's lwIP (waits with
 * lwip_select) and on the host against Debian's liblwip-dev (SP_WAIT_WITH_POLL=1: lwip_poll).
 * Descriptors are always non-blocking; the only wait is sp_wait_fd(), used by sp_poll().
 *
 * Threads: every call may run while another thread is inside a call on the same socket (one
 * sends, one receives, one closes). lwIP's socket layer locks its own state (the core lock);
 * this file only guards its descriptor: each call counts itself in `busy` (with atomics, or
 * under lwIP's SYS_ARCH_PROTECT on a chip without them), sp_close() marks the socket closed and
 * the last call to leave it closes the descriptor, so lwIP never sees a descriptor closed (or
 * reused) under a waiting lwip_poll/select. A waiting sp_poll() looks at `closed` between slices
 * of SP_WAIT_SLICE_MS. The memory stays until sp_free() (the front end's finaliser): a late call
 * on a closed socket is EBADF.
 *
 * Numbers on the interface are lwIP's own (AF_INET6 10, SOL_SOCKET 0xfff, ...). The stack this
 * file is compiled against may use others (Debian's lwIP takes Linux's SOL_SOCKET 1 and errno
 * values; ESP-IDF's takes lwIP's numbers and newlib's errno), so every number is translated
 * here with the stack's own macros, and errno is read as the stack sets it.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/opt.h"
#include "lwip/ip_addr.h"
#include "lwip/sockets.h"
#include "lwip/priv/tcpip_priv.h"
#include "lwip/sys.h"
#if SP_DNS && LWIP_DNS
#include "lwip/netdb.h"
#endif

#include "sp_deadline.h"
#include "sp_netif.h"
#include "sp_engine.h"
#include "sp_resolve.h"
#include "sp_rules.h"

#if !SP_WAIT_WITH_POLL && !LWIP_SOCKET_SELECT
#error "this lwIP has no lwip_select: build with SP_WAIT_WITH_POLL=1"
#endif

/* interface numbers (lwIP's) */
#define SPN_AF_INET 2
#define SPN_AF_INET6 10
#define SPN_SOCK_STREAM 1
#define SPN_SOCK_DGRAM 2
#define SPN_SOCK_RAW 3

#define SP_HAS_IPV6 (SP_IPV6 && LWIP_IPV6)
#define SP_HAS_RAW (SP_RAW && LWIP_RAW)

struct sp_sock {
    int fd;
    uint8_t family; /* interface numbering */
    uint8_t type;
    uint8_t proto;   /* SOCK_RAW: the IP protocol */
    sp_conn_t c;     /* the contract's view (sp_rules.h); UDP: NEW, or CONNECTED with a default
                      * peer. lwIP reports a FIN or a reset once: c keeps it */
    uint8_t bound;   /* bind succeeded once (lwIP 2.1.3 links a TCP PCB into its list twice on a
                      * second bind, and then loops forever: found by tests/native/sp_fuzz.c) */
    int closed;      /* sp_close() ran: every call is EBADF (atomic, or under SYS_ARCH_PROTECT) */
    int busy;        /* calls inside this socket now (atomic, or under SYS_ARCH_PROTECT) */
};

/* ---- threads: a call counts itself in; the last one out of a closed socket closes its fd --- */

#if defined(__GCC_ATOMIC_INT_LOCK_FREE) && __GCC_ATOMIC_INT_LOCK_FREE == 2
/* Lock-free where the chip has atomic instructions (Xtensa ESP32/S2/S3, the host): a call adds
 * itself to `busy`, then looks at `closed`; sp_close() sets `closed`, then looks at `busy`. Both
 * sequentially consistent, so at least one side sees the other: either the call sees the socket
 * closed and backs out, or sp_close() sees the call inside and leaves the descriptor to it. Who
 * closes the descriptor takes it with one exchange, so it is closed once. (A SYS_ARCH_PROTECT pair
 * is a mutex on the host and cost ~6% of the instructions of a 4 KiB receive: bench_callgrind.) */
#define SP_LOAD(x) __atomic_load_n(&(x), __ATOMIC_SEQ_CST)

static void sp_close_fd_once(sp_sock_t *s) {
    int fd = __atomic_exchange_n(&s->fd, -1, __ATOMIC_SEQ_CST);
    if (fd >= 0) {
        /* lwIP closes gracefully in the background: unsent data and the FIN go out, and its
         * retransmission and FIN_WAIT timers abort the connection if the peer never answers */
        lwip_close(fd);
    }
}

static int sp_leave(sp_sock_t *s, int result) {
    if (__atomic_sub_fetch(&s->busy, 1, __ATOMIC_SEQ_CST) == 0 && SP_LOAD(s->closed)) {
        sp_close_fd_once(s);
    }
    return result;
}

/* 1 and counted in when s is open; 0 (not counted) when closed */
static int sp_enter(sp_sock_t *s) {
    __atomic_add_fetch(&s->busy, 1, __ATOMIC_SEQ_CST);
    if (SP_LOAD(s->closed)) {
        sp_leave(s, 0);
        return 0;
    }
    return 1;
}

static void sp_mark_closed(sp_sock_t *s) {
    __atomic_store_n(&s->closed, 1, __ATOMIC_SEQ_CST);
    if (SP_LOAD(s->busy) == 0) {
        sp_close_fd_once(s); /* else the last call inside s closes it */
    }
}

static int sp_is_closed(sp_sock_t *s) {
    return SP_LOAD(s->closed);
}
#else
/* No atomic instructions (the ESP32-C3's RV32IMC): the same counting under SYS_ARCH_PROTECT, a
 * critical section on ESP-IDF. */

/* the descriptor to close now (-1: none): s is closed and no call is inside it; lock held */
static int sp_fd_to_close(sp_sock_t *s) {
    int fd = -1;
    if (s->closed && s->busy == 0 && s->fd >= 0) {
        fd = s->fd;
        s->fd = -1;
    }
    return fd;
}

static void sp_close_fd(int fd) {
    if (fd >= 0) {
        lwip_close(fd); /* graceful, in the background (see the atomic variant) */
    }
}

/* 1 and counted in when s is open; 0 (not counted) when closed */
static int sp_enter(sp_sock_t *s) {
    SYS_ARCH_DECL_PROTECT(lev);
    SYS_ARCH_PROTECT(lev);
    int open = !s->closed;
    if (open) {
        s->busy++;
    }
    SYS_ARCH_UNPROTECT(lev);
    return open;
}

static int sp_leave(sp_sock_t *s, int result) {
    SYS_ARCH_DECL_PROTECT(lev);
    SYS_ARCH_PROTECT(lev);
    s->busy--;
    int fd = sp_fd_to_close(s);
    SYS_ARCH_UNPROTECT(lev);
    sp_close_fd(fd);
    return result;
}

static void sp_mark_closed(sp_sock_t *s) {
    SYS_ARCH_DECL_PROTECT(lev);
    SYS_ARCH_PROTECT(lev);
    s->closed = 1;
    int fd = sp_fd_to_close(s); /* else the last call inside s closes it */
    SYS_ARCH_UNPROTECT(lev);
    sp_close_fd(fd);
}

static int sp_is_closed(sp_sock_t *s) {
    SYS_ARCH_DECL_PROTECT(lev);
    SYS_ARCH_PROTECT(lev);
    int c = s->closed;
    SYS_ARCH_UNPROTECT(lev);
    return c;
}
#endif

/* each entry point below: `SP_ENTER(s, what a closed socket answers)`, then every return
 * goes through sp_leave() */
#define SP_ENTER(s, closed_result) \
    do {                           \
        if (!sp_enter(s)) {        \
            return closed_result;  \
        }                          \
    } while (0)

/* ---- errors ---------------------------------------------------------------------------- */

/* the stack's errno -> SP_E* (positive); one table for the whole core */
static int sp_code(int e) {
    switch (e) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            return SP_EAGAIN;
        case EINPROGRESS: return SP_EINPROGRESS;
        case EALREADY: return SP_EALREADY;
        case EISCONN: return SP_EISCONN;
        case ENOTCONN: return SP_ENOTCONN;
        case ECONNREFUSED: return SP_ECONNREFUSED;
        case ECONNRESET: return SP_ECONNRESET;
        case ECONNABORTED: return SP_ECONNABORTED;
        case EPIPE: return SP_EPIPE;
        case EBADF: return SP_EBADF;
        case EINVAL: return SP_EINVAL;
        case EADDRINUSE: return SP_EADDRINUSE;
        case EADDRNOTAVAIL: return SP_EADDRNOTAVAIL;
        case EHOSTUNREACH: return SP_EHOSTUNREACH;
        case ENETUNREACH: return SP_ENETUNREACH;
        case EMSGSIZE: return SP_EMSGSIZE;
        case ENOPROTOOPT: return SP_ENOPROTOOPT;
        case EOPNOTSUPP: return SP_EOPNOTSUPP;
        case ENOMEM:
        case ENFILE:
        case EMFILE: return SP_ENOMEM;
        case ENOBUFS: return SP_ENOBUFS;
        case ETIMEDOUT: return SP_ETIMEDOUT;
        case EAFNOSUPPORT: return SP_EAFNOSUPPORT;
        case EPERM: return SP_EPERM;
        case EACCES: return SP_EACCES;
        default: return SP_EIO;
    }
}

static int sp_fail(void) {
    return -sp_code(errno);
}

/* ---- addresses ------------------------------------------------------------------------- */

typedef union {
    struct sockaddr sa;
    struct sockaddr_in in4;
#if SP_HAS_IPV6
    struct sockaddr_in6 in6;
#endif
    struct sockaddr_storage ss;
} sp_sockaddr_t;

/* "" is the family's any-address; returns the length, or -SP_EINVAL */
static int sp_make_sockaddr(int family, const char *ip, int port, sp_sockaddr_t *out) {
    memset(out, 0, sizeof(*out));
    if (port < 0 || port > 0xffff || ip == NULL) {
        return -SP_EINVAL;
    }
#if SP_HAS_IPV6
    if (family == SPN_AF_INET6) {
        ip6_addr_t a;
        memset(&a, 0, sizeof(a));
        if (ip[0] != '\0' && !ip6addr_aton(ip, &a)) {
            return -SP_EINVAL;
        }
        out->in6.sin6_family = AF_INET6;
        out->in6.sin6_port = lwip_htons((u16_t)port);
        memcpy(&out->in6.sin6_addr, a.addr, 16);
        return (int)sizeof(out->in6);
    }
#endif
    if (family != SPN_AF_INET) {
        return -SP_EAFNOSUPPORT;
    }
    ip4_addr_t a;
    ip4_addr_set_zero(&a);
    if (ip[0] != '\0' && !ip4addr_aton(ip, &a)) {
        return -SP_EINVAL;
    }
    out->in4.sin_family = AF_INET;
    out->in4.sin_port = lwip_htons((u16_t)port);
    out->in4.sin_addr.s_addr = ip4_addr_get_u32(&a);
    return (int)sizeof(out->in4);
}

/* numeric text of a socket address (lower case, as CPython prints it) and its port */
static void sp_read_sockaddr(const sp_sockaddr_t *sa, char ip[SP_IPSTR_LEN], int *port) {
    ip[0] = '\0';
    *port = 0;
#if SP_HAS_IPV6
    if (sa->sa.sa_family == AF_INET6) {
        ip6_addr_t a;
        memset(&a, 0, sizeof(a));
        memcpy(a.addr, &sa->in6.sin6_addr, 16);
        ip6addr_ntoa_r(&a, ip, SP_IPSTR_LEN);
        for (char *c = ip; *c; c++) {
            if (*c >= 'A' && *c <= 'F') {
                *c = (char)(*c - 'A' + 'a');
            }
        }
        *port = lwip_ntohs(sa->in6.sin6_port);
        return;
    }
#endif
    if (sa->sa.sa_family == AF_INET) {
        ip4_addr_t a;
        ip4_addr_set_u32(&a, sa->in4.sin_addr.s_addr);
        ip4addr_ntoa_r(&a, ip, SP_IPSTR_LEN);
        *port = lwip_ntohs(sa->in4.sin_port);
    }
}

/* ---- the one wait helper --------------------------------------------------------------- */

/* wait at most timeout_ms (0: just look) for SP_POLL* events on fd; returns the ready bits */
static int sp_wait_fd(int fd, int events, int timeout_ms) {
    if (timeout_ms < 0) {
        timeout_ms = 0; /* the front ends slice every wait: never block without bound here */
    }
#if SP_WAIT_WITH_POLL
    struct pollfd pfd;
    pfd.fd = fd;
    pfd.events = (short)(((events & SP_POLLIN) ? POLLIN : 0) | ((events & SP_POLLOUT) ? POLLOUT : 0));
    pfd.revents = 0;
    if (lwip_poll(&pfd, 1, timeout_ms) <= 0) {
        return 0;
    }
    return ((pfd.revents & POLLIN) ? SP_POLLIN : 0) | ((pfd.revents & POLLOUT) ? SP_POLLOUT : 0) |
           ((pfd.revents & POLLERR) ? SP_POLLERR : 0) | ((pfd.revents & POLLHUP) ? SP_POLLHUP : 0) |
           ((pfd.revents & POLLNVAL) ? SP_POLLERR : 0);
#else
    fd_set rfds, wfds, efds;
    FD_ZERO(&rfds);
    FD_ZERO(&wfds);
    FD_ZERO(&efds);
    if (events & SP_POLLIN) {
        FD_SET(fd, &rfds);
    }
    if (events & SP_POLLOUT) {
        FD_SET(fd, &wfds);
    }
    FD_SET(fd, &efds);
    struct timeval tv;
    tv.tv_sec = timeout_ms / 1000;
    tv.tv_usec = (timeout_ms % 1000) * 1000;
    if (lwip_select(fd + 1, &rfds, &wfds, &efds, &tv) <= 0) {
        return 0;
    }
    return (FD_ISSET(fd, &rfds) ? SP_POLLIN : 0) | (FD_ISSET(fd, &wfds) ? SP_POLLOUT : 0) |
           (FD_ISSET(fd, &efds) ? SP_POLLERR : 0);
#endif
}

/* ---- engine facts ---------------------------------------------------------------------- */

int sp_max_slots(void) {
    return SP_MAX_SLOTS;
}

int sp_has_ipv6(void) {
    return SP_HAS_IPV6;
}

int sp_has_raw(void) {
    return SP_HAS_RAW;
}

/* ---- sockets --------------------------------------------------------------------------- */

static int sp_wrap(int fd, int family, int type, int state, sp_sock_t **out) {
    if (lwip_fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
        int r = sp_fail();
        lwip_close(fd);
        return r;
    }
    sp_sock_t *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        lwip_close(fd);
        return -SP_ENOMEM;
    }
    s->fd = fd;
    s->family = (uint8_t)family;
    s->type = (uint8_t)type;
    s->c.state = (uint8_t)state;
    *out = s;
    return 0;
}

int sp_socket(int family, int type, int proto, sp_sock_t **out) {
    int dom, ty;
    if (family == SPN_AF_INET) {
        dom = AF_INET;
#if SP_HAS_IPV6
    } else if (family == SPN_AF_INET6) {
        dom = AF_INET6;
#endif
    } else {
        return -SP_EAFNOSUPPORT;
    }
    if (type == SPN_SOCK_STREAM) {
        ty = SOCK_STREAM;
    } else if (type == SPN_SOCK_DGRAM) {
        ty = SOCK_DGRAM;
#if SP_HAS_RAW
    } else if (type == SPN_SOCK_RAW) {
        ty = SOCK_RAW;
#endif
    } else {
        return -SP_EOPNOTSUPP;
    }
    if (proto < 0 || proto > 255) {
        return -SP_EINVAL;
    }
    int fd = lwip_socket(dom, ty, proto); /* IPPROTO_* numbers are the IANA ones everywhere */
    if (fd < 0) {
        return sp_fail();
    }
    int r = sp_wrap(fd, family, type, SP_CONN_NEW, out);
    if (r == 0) {
        (*out)->proto = (uint8_t)proto;
    }
    return r;
}

/* the socket layer takes no lock a netif walk may use: ask sp_netif.h as lwIP's own calls do */
typedef struct {
    struct tcpip_api_call_data call;
    ip_addr_t addr;
    int (*ask)(const ip_addr_t *);
} sp_netif_call_t;

static err_t netif_cb(struct tcpip_api_call_data *call) {
    sp_netif_call_t *c = (sp_netif_call_t *)call;
    return c->ask(&c->addr) ? ERR_OK : ERR_VAL;
}

/* ask(address of sa) under lwIP's core lock; `other` for a family it cannot take */
static int netif_ask(const sp_sockaddr_t *sa, int (*ask)(const ip_addr_t *), int other) {
    sp_netif_call_t c;
    memset(&c, 0, sizeof(c));
    c.ask = ask;
    if (sa->sa.sa_family == AF_INET) {
        inet_addr_to_ip4addr(ip_2_ip4(&c.addr), &sa->in4.sin_addr);
        IP_SET_TYPE_VAL(c.addr, IPADDR_TYPE_V4);
    }
#if SP_HAS_IPV6
    else if (sa->sa.sa_family == AF_INET6) {
        inet6_addr_to_ip6addr(ip_2_ip6(&c.addr), &sa->in6.sin6_addr);
        IP_SET_TYPE_VAL(c.addr, IPADDR_TYPE_V6);
    }
#endif
    else {
        return other;
    }
    return tcpip_api_call(netif_cb, &c.call) == ERR_OK;
}

static int do_bind(sp_sock_t *s, const char *ip, int port) {
    sp_sockaddr_t sa;
    int len = sp_make_sockaddr(s->family, ip, port, &sa);
    if (len < 0) {
        return len;
    }
    if (s->bound) {
        return -SP_EINVAL; /* as Linux: a socket is bound once */
    }
    if (!netif_ask(&sa, sp_netif_addr_bindable, 1)) {
        return -SP_EADDRNOTAVAIL; /* lwIP would bind it anyway (see sp_netif.h) */
    }
    if (lwip_bind(s->fd, &sa.sa, (socklen_t)len) < 0) {
        return sp_fail();
    }
    s->bound = 1;
    return 0;
}

static int do_listen(sp_sock_t *s, int backlog) {
    if (s->type != SPN_SOCK_STREAM) {
        return -SP_EOPNOTSUPP;
    }
    int r = sp_rule_listen_gate(&s->c);
    if (r < 0) {
        return r;
    }
    if (lwip_listen(s->fd, backlog) < 0) {
        return sp_fail();
    }
    s->c.state = SP_CONN_LISTENING;
    return 0;
}

static int do_accept(sp_sock_t *s, sp_sock_t **out, char ip[SP_IPSTR_LEN], int *port) {
    if (s->c.state != SP_CONN_LISTENING) {
        return -SP_EINVAL;
    }
    sp_sockaddr_t sa;
    socklen_t len = sizeof(sa);
    memset(&sa, 0, sizeof(sa));
    int fd = lwip_accept(s->fd, &sa.sa, &len);
    if (fd < 0) {
        return sp_fail();
    }
    sp_read_sockaddr(&sa, ip, port);
    return sp_wrap(fd, s->family, s->type, SP_CONN_CONNECTED, out);
}

/* how a connect under way went, from one look at the stack (`ready`: its SP_POLL* bits): the
 * core's part is reading lwIP; what it means for the caller is sp_rules.h's. The connection
 * counts as made from the first time the socket is writable without an error (a reset before
 * that is a refusal: docs/contract-notes.md) */
static void sp_connect_settle(sp_sock_t *s, int ready) {
    if (s->c.state != SP_CONN_CONNECTING || !(ready & (SP_POLLOUT | SP_POLLERR))) {
        return;
    }
    if (!(ready & SP_POLLERR)) {
        s->c.state = SP_CONN_CONNECTED;
        return;
    }
    int err = 0;
    socklen_t len = sizeof(err);
    if (lwip_getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        err = errno;
    }
    if (err != 0) {
        (void)sp_conn_failed(&s->c, sp_code(err));
    } else if (ready & SP_POLLOUT) {
        s->c.state = SP_CONN_CONNECTED; /* lwIP keeps the error flag of an old failed connect */
    }
}

/* a connect under way: look at the stack once, without waiting */
static void sp_connect_look(sp_sock_t *s) {
    if (s->c.state == SP_CONN_CONNECTING) {
        sp_connect_settle(s, sp_wait_fd(s->fd, SP_POLLOUT, 0));
    }
}

static int do_connect(sp_sock_t *s, const char *ip, int port) {
    if (s->c.state == SP_CONN_LISTENING) {
        return -SP_EISCONN;
    }
    if (s->type == SPN_SOCK_STREAM) {
        sp_connect_look(s);
        int r = sp_conn_connect_gate(&s->c);
        if (r <= 0) {
            return r;
        }
    }
    sp_sockaddr_t sa;
    int len = sp_make_sockaddr(s->family, ip, port, &sa);
    if (len < 0) {
        return len;
    }
    if (s->type == SPN_SOCK_STREAM && netif_ask(&sa, sp_netif_no_route, 0)) {
        return -SP_EHOSTUNREACH; /* a broadcast or multicast address (sp_netif.h) */
    }
    if (lwip_connect(s->fd, &sa.sa, (socklen_t)len) == 0) {
        s->c.state = SP_CONN_CONNECTED;
        return 0;
    }
    int code = sp_code(errno);
    if (code == SP_EINPROGRESS || code == SP_EALREADY) {
        s->c.state = SP_CONN_CONNECTING;
        return -code;
    }
    if (code == SP_EISCONN) {
        s->c.state = SP_CONN_CONNECTED;
        return -SP_EISCONN;
    }
    return -sp_rule_connect_error(code); /* failed at once: reported now, the socket stays new */
}

static int do_connect_result(sp_sock_t *s) {
    if (s->type != SPN_SOCK_STREAM) {
        return s->c.state == SP_CONN_CONNECTED ? 0 : -SP_ENOTCONN;
    }
    sp_connect_look(s);
    return sp_rule_connect_result(&s->c);
}

static size_t sp_cap(size_t len) {
    return len > (size_t)INT_MAX ? (size_t)INT_MAX : len;
}

static int do_recv_into(sp_sock_t *s, uint8_t *buf, size_t len) {
    if (s->type == SPN_SOCK_STREAM) {
        sp_connect_look(s);
        int r = sp_rule_recv_gate(&s->c);
        if (r <= 0) {
            return r;
        }
    }
    if (len == 0) {
        return 0;
    }
    if (s->type == SPN_SOCK_STREAM && (s->c.state == SP_CONN_RESET || s->c.peer_closed)) {
        return sp_rule_recv_empty(&s->c); /* lwIP has reported it once: the core keeps it */
    }
    ssize_t n = lwip_recv(s->fd, buf, sp_cap(len), MSG_DONTWAIT);
    if (n > 0) {
        return (int)n;
    }
    if (s->type != SPN_SOCK_STREAM) {
        return n == 0 ? 0 : sp_fail();
    }
    int code = n == 0 ? SP_OK : sp_code(errno);
    if (code == SP_OK || code == SP_ENOTCONN) {
        s->c.peer_closed = 1; /* the FIN; lwIP says "not connected" once it has reported it */
    } else if (code == SP_ECONNRESET || code == SP_ECONNABORTED) {
        sp_conn_died(&s->c, code);
    } else {
        return -code;
    }
    return sp_rule_recv_empty(&s->c);
}

static int do_recvfrom_into(sp_sock_t *s, uint8_t *buf, size_t len, char ip[SP_IPSTR_LEN], int *port) {
    sp_sockaddr_t sa;
    if (s->type == SPN_SOCK_STREAM) {
        int n = do_recv_into(s, buf, len);
        if (n >= 0) {
            socklen_t alen = sizeof(sa);
            memset(&sa, 0, sizeof(sa));
            if (lwip_getpeername(s->fd, &sa.sa, &alen) == 0) {
                sp_read_sockaddr(&sa, ip, port);
            } else {
                ip[0] = '\0';
                *port = 0;
            }
        }
        return n;
    }
    socklen_t alen = sizeof(sa);
    memset(&sa, 0, sizeof(sa));
    ssize_t n = lwip_recvfrom(s->fd, buf, sp_cap(len), MSG_DONTWAIT, &sa.sa, &alen);
    if (n < 0) {
        return sp_fail();
    }
    sp_read_sockaddr(&sa, ip, port);
    return (int)n;
}

/* lwIP fills in an ICMPv6 checksum at offset 2 and asserts (aborts, on ESP-IDF too) when the
 * message is shorter than that field: found by tests/native/sp_fuzz.c */
static int sp_raw_too_short(const sp_sock_t *s, size_t len) {
    return s->type == SPN_SOCK_RAW && s->family == SPN_AF_INET6 && s->proto == 58 && len < 4;
}

static int do_send(sp_sock_t *s, const uint8_t *data, size_t len) {
    if (sp_raw_too_short(s, len)) {
        return -SP_EINVAL;
    }
    int r;
    if (s->type == SPN_SOCK_STREAM) {
        sp_connect_look(s);
        r = sp_rule_send_gate(&s->c);
    } else {
        r = sp_rule_dgram_send_gate(s->c.state == SP_CONN_CONNECTED);
    }
    if (r <= 0) {
        return r;
    }
    ssize_t n = lwip_send(s->fd, data, sp_cap(len), MSG_DONTWAIT);
    if (n >= 0) {
        return (int)n;
    }
    int code = sp_code(errno);
    if (code == SP_EAGAIN) {
        return -SP_EAGAIN;
    }
    if (s->type == SPN_SOCK_STREAM) {
        return sp_conn_send_failed(&s->c, code);
    }
    return code == SP_ENOTCONN ? sp_rule_dgram_send_gate(0) : -code;
}

static int do_sendto(sp_sock_t *s, const uint8_t *data, size_t len, const char *ip, int port) {
    if (s->type == SPN_SOCK_STREAM) {
        return do_send(s, data, len); /* the address is ignored on TCP */
    }
    if (len > SP_MAX_DATAGRAM) {
        return -SP_EMSGSIZE;
    }
    if (sp_raw_too_short(s, len)) {
        return -SP_EINVAL;
    }
    sp_sockaddr_t sa;
    int alen = sp_make_sockaddr(s->family, ip, port, &sa);
    if (alen < 0) {
        return alen;
    }
    ssize_t n = lwip_sendto(s->fd, data, len, MSG_DONTWAIT, &sa.sa, (socklen_t)alen);
    if (n < 0) {
        return sp_fail();
    }
    return (int)n;
}

/* ---- options --------------------------------------------------------------------------- */

enum sp_optkind { SP_OPT_INT, SP_OPT_U8, SP_OPT_BYTES };

typedef struct {
    uint16_t level, opt; /* interface (lwIP) numbers */
    int os_level, os_opt; /* the stack's numbers */
    uint8_t kind;
    uint8_t any_type; /* 0: only where lwIP itself takes it; 1: accepted (and ignored) elsewhere */
} sp_option_t;

static const sp_option_t sp_options[] = {
    {0xfff, 0x0004, SOL_SOCKET, SO_REUSEADDR, SP_OPT_INT, 0},
    {0xfff, 0x0008, SOL_SOCKET, SO_KEEPALIVE, SP_OPT_INT, 0},
    {0xfff, 0x0020, SOL_SOCKET, SO_BROADCAST, SP_OPT_INT, 0},
    {6, 0x01, IPPROTO_TCP, TCP_NODELAY, SP_OPT_INT, 0},
#if LWIP_TCP_KEEPALIVE
    {6, 0x03, IPPROTO_TCP, TCP_KEEPIDLE, SP_OPT_INT, 0},
    {6, 0x04, IPPROTO_TCP, TCP_KEEPINTVL, SP_OPT_INT, 0},
    {6, 0x05, IPPROTO_TCP, TCP_KEEPCNT, SP_OPT_INT, 0},
#endif
    {0, 1, IPPROTO_IP, IP_TOS, SP_OPT_INT, 0},
    {0, 2, IPPROTO_IP, IP_TTL, SP_OPT_INT, 0},
#if LWIP_MULTICAST_TX_OPTIONS
    {0, 5, IPPROTO_IP, IP_MULTICAST_TTL, SP_OPT_U8, 1},
    {0, 7, IPPROTO_IP, IP_MULTICAST_LOOP, SP_OPT_U8, 0},
#endif
#if LWIP_SO_LINGER
    {0xfff, 0x0080, SOL_SOCKET, SO_LINGER, SP_OPT_BYTES, 0}, /* struct linger: {on, seconds} */
#endif
#if LWIP_IGMP
    {0, 3, IPPROTO_IP, IP_ADD_MEMBERSHIP, SP_OPT_BYTES, 0},
    {0, 4, IPPROTO_IP, IP_DROP_MEMBERSHIP, SP_OPT_BYTES, 0},
#endif
};

static int do_setsockopt(sp_sock_t *s, int level, int opt, const void *value, size_t len) {
    const sp_option_t *o = NULL;
    for (size_t i = 0; i < sizeof(sp_options) / sizeof(sp_options[0]); i++) {
        if (sp_options[i].level == level && sp_options[i].opt == opt) {
            o = &sp_options[i];
            break;
        }
    }
    if (o == NULL) {
        return -SP_ENOPROTOOPT;
    }
    if (value == NULL) {
        return -SP_EINVAL;
    }
    int r;
    if (o->kind == SP_OPT_BYTES) {
        r = lwip_setsockopt(s->fd, o->os_level, o->os_opt, value, (socklen_t)len);
    } else {
        int v;
        if (len != sizeof(v)) {
            return -SP_EINVAL;
        }
        memcpy(&v, value, sizeof(v));
        if (o->kind == SP_OPT_U8) {
            u8_t b = (u8_t)v;
            r = lwip_setsockopt(s->fd, o->os_level, o->os_opt, &b, sizeof(b));
        } else {
            r = lwip_setsockopt(s->fd, o->os_level, o->os_opt, &v, sizeof(v));
        }
    }
    if (r < 0) {
        int code = sp_code(errno);
        /* a multicast TTL means nothing on TCP: accepted there as Linux does */
        if (o->any_type && code == SP_ENOPROTOOPT) {
            return 0;
        }
        return -code;
    }
    return 0;
}

/* ---- readiness and close --------------------------------------------------------------- */

static int do_poll(sp_sock_t *s, int events, int timeout_ms) {
    int want = events & (SP_POLLIN | SP_POLLOUT);
    if (s->type != SPN_SOCK_STREAM) {
        return sp_wait_fd(s->fd, want, timeout_ms) & (want | SP_POLLERR | SP_POLLHUP);
    }
    /* ready whatever lwIP says (a reset, the FIN, a failed connect): look at it, do not wait */
    int now = sp_rule_poll(&s->c, events, 0);
    int connecting = s->c.state == SP_CONN_CONNECTING;
    int ready = sp_wait_fd(s->fd, want | (connecting ? SP_POLLOUT : 0), now ? 0 : timeout_ms);
    if (connecting) {
        /* remember a connection now, so a reset that follows is a reset, not a refusal */
        sp_connect_settle(s, ready);
        if (s->c.state == SP_CONN_CONNECTED) {
            ready &= ~SP_POLLERR; /* the flag of an old failed connect (SO_ERROR said none) */
        }
    }
    return sp_rule_poll(&s->c, events, ready);
}

void sp_close(sp_sock_t *s) {
    if (s == NULL) {
        return;
    }
    sp_mark_closed(s);
}

void sp_free(sp_sock_t *s) {
    if (s != NULL) {
        sp_close(s);
        free(s);
    }
}

/* ---- the entry points: counted in and out (see "threads" above) ----------------------- */

int sp_bind(sp_sock_t *s, const char *ip, int port) {
    SP_ENTER(s, -SP_EBADF);
    return sp_leave(s, do_bind(s, ip, port));
}

int sp_listen(sp_sock_t *s, int backlog) {
    SP_ENTER(s, -SP_EBADF);
    return sp_leave(s, do_listen(s, backlog));
}

int sp_accept(sp_sock_t *s, sp_sock_t **out, char ip[SP_IPSTR_LEN], int *port) {
    SP_ENTER(s, -SP_EBADF);
    return sp_leave(s, do_accept(s, out, ip, port));
}

int sp_connect(sp_sock_t *s, const char *ip, int port) {
    SP_ENTER(s, -SP_EBADF);
    return sp_leave(s, do_connect(s, ip, port));
}

int sp_connect_result(sp_sock_t *s) {
    SP_ENTER(s, -SP_EBADF);
    return sp_leave(s, do_connect_result(s));
}

int sp_recv_into(sp_sock_t *s, uint8_t *buf, size_t len) {
    SP_ENTER(s, -SP_EBADF);
    return sp_leave(s, do_recv_into(s, buf, len));
}

int sp_recvfrom_into(sp_sock_t *s, uint8_t *buf, size_t len, char ip[SP_IPSTR_LEN], int *port) {
    SP_ENTER(s, -SP_EBADF);
    return sp_leave(s, do_recvfrom_into(s, buf, len, ip, port));
}

int sp_send(sp_sock_t *s, const uint8_t *data, size_t len) {
    SP_ENTER(s, -SP_EBADF);
    return sp_leave(s, do_send(s, data, len));
}

int sp_sendto(sp_sock_t *s, const uint8_t *data, size_t len, const char *ip, int port) {
    SP_ENTER(s, -SP_EBADF);
    return sp_leave(s, do_sendto(s, data, len, ip, port));
}

int sp_setsockopt(sp_sock_t *s, int level, int opt, const void *value, size_t len) {
    SP_ENTER(s, -SP_EBADF);
    return sp_leave(s, do_setsockopt(s, level, opt, value, len));
}

/* a closed socket is ready with an error at once; a wait is cut into SP_WAIT_SLICE_MS slices,
 * so a close() from another thread ends it within one slice */
int sp_poll(sp_sock_t *s, int events, int timeout_ms) {
    const int closed = sp_rule_poll_closed(events);
    SP_ENTER(s, closed);
    sp_deadline_t d;
    sp_deadline_start(&d, timeout_ms < 0 ? 0 : timeout_ms);
    int ready;
    for (;;) {
        ready = do_poll(s, events, (int)sp_deadline_slice(&d, SP_WAIT_SLICE_MS));
        if (ready != 0 || sp_deadline_expired(&d)) {
            break;
        }
        if (sp_is_closed(s)) {
            ready = closed;
            break;
        }
    }
    return sp_leave(s, ready);
}

/* ---- names ----------------------------------------------------------------------------- */

#if SP_DNS && LWIP_DNS
int sp_resolve(const char *host, int family, sp_addr_t *out, int max) {
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family == SPN_AF_INET ? AF_INET :
#if SP_HAS_IPV6
        family == SPN_AF_INET6 ? AF_INET6 :
#endif
        AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (lwip_getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL) {
        return 0;
    }
    int n = 0;
    for (struct addrinfo *ai = res; ai != NULL && n < max; ai = ai->ai_next) {
        sp_sockaddr_t sa;
        int port;
        memset(&sa, 0, sizeof(sa));
        memcpy(&sa, ai->ai_addr, ai->ai_addrlen < sizeof(sa) ? ai->ai_addrlen : sizeof(sa));
        sp_read_sockaddr(&sa, out[n].ip, &port);
        if (out[n].ip[0] != '\0') {
            out[n].family = sa.sa.sa_family == AF_INET ? SPN_AF_INET : SPN_AF_INET6;
            n++;
        }
    }
    lwip_freeaddrinfo(res);
    return n;
}
#endif
