/*
 * sp_core_rp2.c - the Pico W engine core: ports/common/sp_engine.h over lwIP's raw API.
 *
 * Plain C, no MicroPython headers: it builds into Pico W firmware (NO_SYS=1, callbacks from the
 * CYW43 poll at PendSV level) and on the host against Debian's liblwip-dev (NO_SYS=0, callbacks
 * from lwIP's tcpip thread). Both hosts give the same guarantees through sp_core_rp2.h: every PCB
 * access and every callback runs under one lock, and waits keep the stack polled.
 *
 * Shape (after MicroPython's extmod/modlwip.c): one socket struct with an explicit state, one
 * error table, and callbacks that only record what happened and wake the waiter. Every call
 * below is non-blocking; only sp_poll() and sp_rp2_resolve() wait, bounded by their timeout.
 *
 * Threads: every call may run while another thread is inside a call on the same socket (one
 * sends, one receives, one closes): each looks at the socket only under the lock, and looks
 * again after every wait. sp_close() marks the socket closed under the lock, releases its PCB
 * and queues and wakes every waiter; a call that finds it closed is EBADF (sp_poll: POLLERR |
 * POLLHUP). The memory stays until sp_free() (the front end's finaliser).
 */
#include <string.h>

#include "lwip/opt.h"
#include "lwip/err.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#if LWIP_IGMP
#include "lwip/igmp.h"
#endif
#if LWIP_DNS
#include "lwip/dns.h"
#endif

#include "sp_core_rp2.h"
#include "sp_deadline.h"
#include "sp_netif.h"
#include "sp_port.h"
#include "sp_resolve.h"
#include "sp_rules.h"

/* lwIP timer ticks (TCP_SLOW_INTERVAL, 500 ms) between checks of a socket held back by ERR_MEM */
#define SP_RP2_POLL_TICKS 1

/* bytes received and not read yet: a pbuf chain appended by hand (tot_len fields not kept) */
typedef struct sp_rxq {
    struct pbuf *head;
    struct pbuf *tail;
    uint32_t len;
} sp_rxq_t;

/* a connection lwIP accepted that the program has not taken with accept() yet */
typedef struct sp_pending {
    struct tcp_pcb *pcb;       /* NULL: entry free */
    struct sp_sock *listener;
    sp_rxq_t rx;               /* data that arrived before accept(), window not reopened */
    uint32_t seq;              /* arrival order */
    uint8_t fin;
} sp_pending_t;

typedef struct sp_dgram {
    struct pbuf *p;
    ip_addr_t addr;
    uint16_t port;
} sp_dgram_t;

struct sp_sock {
    uint8_t type;              /* 1 stream, 2 datagram */
    sp_conn_t c;               /* TCP: the contract's view (sp_rules.h); UDP sockets stay NEW */
    uint8_t mem_blocked;       /* tcp_write ran out of memory: not writable until sent/poll */
    uint8_t so_options;        /* SOF_* wanted, re-applied to a fresh PCB */
    uint8_t nodelay;
    uint8_t mcast_ttl;
    uint8_t linger_reset;      /* SO_LINGER {on, 0}: close() resets instead of a FIN */
    uint8_t closed;            /* sp_close() ran: every call is EBADF (under the lock) */
    union {
        struct tcp_pcb *tcp;
        struct udp_pcb *udp;
    } pcb;
    /* TCP receive queue, read from rx.head at rx_off */
    sp_rxq_t rx;
    uint16_t rx_off;
    /* listening: accept queue of acc_cap entries */
    sp_pending_t *acc;
    uint16_t acc_cap;
    uint16_t acc_n;
    uint32_t acc_seq;
    /* UDP receive queue (ring) */
    uint8_t dq_get;
    uint8_t dq_n;
    sp_dgram_t dq[SP_UDP_QUEUE];
};

#ifndef SP_RP2_EXTERNAL_ALLOC
#define SP_RP2_EXTERNAL_ALLOC 0
#endif

static int open_count; /* sockets between sp_socket/sp_accept and sp_close (under the lock) */

#if !SP_RP2_EXTERNAL_ALLOC
#include <stdlib.h>

void *sp_rp2_calloc(size_t n, size_t size) {
    return calloc(n, size);
}

void sp_rp2_free(void *p) {
    free(p);
}
#endif

/* --- the one error table: lwIP err_t -> SP_Exxx --- */
static int map_err(err_t e) {
    switch (e) {
        case ERR_OK: return SP_OK;
        case ERR_MEM: return SP_ENOMEM;
        case ERR_BUF: return SP_ENOBUFS;
        case ERR_TIMEOUT: return SP_ETIMEDOUT;
        case ERR_RTE: return SP_EHOSTUNREACH;
        case ERR_INPROGRESS: return SP_EINPROGRESS;
        case ERR_VAL: return SP_EINVAL;
        case ERR_WOULDBLOCK: return SP_EAGAIN;
        case ERR_USE: return SP_EADDRINUSE;
        case ERR_ALREADY: return SP_EALREADY;
        case ERR_ISCONN: return SP_EISCONN;
        case ERR_CONN: return SP_ENOTCONN;
        case ERR_ABRT: return SP_ECONNABORTED;
        case ERR_RST: return SP_ECONNRESET;
        case ERR_CLSD: return SP_ENOTCONN;
        case ERR_ARG: return SP_EINVAL;
        default: return SP_EIO;
    }
}

/* the one address parser: a numeric IPv4 string and a port */
static int parse_addr(const char *ip, int port, ip_addr_t *out) {
    ip4_addr_t a4;
    if (ip == NULL || !ip4addr_aton(ip, &a4) || port < 0 || port > 65535) {
        return -SP_EINVAL;
    }
    ip_addr_copy_from_ip4(*out, a4);
    return 0;
}

static void format_ip(const ip_addr_t *addr, char ip[SP_IPSTR_LEN]) {
    if (ip4addr_ntoa_r(ip_2_ip4(addr), ip, SP_IPSTR_LEN) == NULL) {
        ip[0] = '\0';
    }
}

/* free a pbuf chain that may not carry consistent tot_len fields (we append by hand) */
static void free_chain(struct pbuf *p) {
    while (p != NULL) {
        struct pbuf *next = p->next;
        p->next = NULL;
        pbuf_free(p);
        p = next;
    }
}

/* what a receive callback got: chain p appended to q (O(length of p)), or the FIN (p NULL) */
static void rx_record(sp_rxq_t *q, uint8_t *fin, struct pbuf *p) {
    if (p == NULL) {
        *fin = 1;
    } else {
        struct pbuf *last = p;
        while (last->next != NULL) {
            last = last->next;
        }
        if (q->head == NULL) {
            q->head = p;
        } else {
            q->tail->next = p;
        }
        q->tail = last;
        q->len += p->tot_len;
    }
    sp_wake();
}

/* drop what q holds */
static void rx_drop(sp_rxq_t *q) {
    free_chain(q->head);
    q->head = q->tail = NULL;
    q->len = 0;
}

/* --- lwIP callbacks: record, wake, nothing else --- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
    sp_sock_t *s = arg;
    (void)err;
    if (s == NULL) { /* detached by close: nobody will read */
        if (p != NULL) {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        return ERR_OK;
    }
    rx_record(&s->rx, &s->c.peer_closed, p);
    return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len) {
    sp_sock_t *s = arg;
    (void)pcb;
    (void)len;
    if (s != NULL) {
        s->mem_blocked = 0;
        sp_wake();
    }
    return ERR_OK;
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb) {
    sp_sock_t *s = arg;
    (void)pcb;
    if (s != NULL && s->mem_blocked) {
        s->mem_blocked = 0; /* memory may be back: let the writer try again */
        sp_wake();
    }
    return ERR_OK;
}

/* lwIP has freed (or is freeing) the PCB */
static void on_err(void *arg, err_t err) {
    sp_sock_t *s = arg;
    if (s == NULL) {
        return;
    }
    s->pcb.tcp = NULL;
    s->mem_blocked = 0;
    /* the fact: lwIP gave the connection up (ERR_ABRT), or a reset; sp_rules.h says what it means */
    sp_conn_died(&s->c, err == ERR_ABRT ? SP_ECONNABORTED : SP_ECONNRESET);
    sp_wake();
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err) {
    sp_sock_t *s = arg;
    (void)pcb;
    (void)err;
    if (s != NULL && s->c.state == SP_CONN_CONNECTING) {
        s->c.state = SP_CONN_CONNECTED;
        sp_wake();
    }
    return ERR_OK;
}

static err_t on_pending_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
    sp_pending_t *e = arg;
    (void)pcb;
    (void)err;
    rx_record(&e->rx, &e->fin, p);
    return ERR_OK;
}

static void on_pending_err(void *arg, err_t err) {
    sp_pending_t *e = arg;
    (void)err;
    /* the connection died before accept(): drop it from the queue */
    rx_drop(&e->rx);
    e->pcb = NULL;
    e->listener->acc_n--;
}

static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err) {
    sp_sock_t *s = arg;
    if (err != ERR_OK || newpcb == NULL) {
        return ERR_VAL;
    }
    if (s == NULL || s->acc_n >= s->acc_cap) {
        /* backlog full (or listener closing): refuse with a reset, queue nothing */
        tcp_abort(newpcb);
        return ERR_ABRT;
    }
    sp_pending_t *e = NULL;
    for (uint16_t i = 0; i < s->acc_cap; i++) {
        if (s->acc[i].pcb == NULL) {
            e = &s->acc[i];
            break;
        }
    }
    e->pcb = newpcb;
    e->listener = s;
    memset(&e->rx, 0, sizeof(e->rx));
    e->fin = 0;
    e->seq = ++s->acc_seq;
    s->acc_n++;
    tcp_arg(newpcb, e);
    tcp_recv(newpcb, on_pending_recv);
    tcp_err(newpcb, on_pending_err);
    if (s->nodelay) {
        tcp_nagle_disable(newpcb);
    }
    sp_wake();
    return ERR_OK;
}

static void on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port) {
    sp_sock_t *s = arg;
    (void)pcb;
    if (s == NULL || s->dq_n >= SP_UDP_QUEUE) {
        pbuf_free(p); /* queue full: the newest datagram is dropped, as a full socket buffer does */
        return;
    }
    sp_dgram_t *d = &s->dq[(s->dq_get + s->dq_n) % SP_UDP_QUEUE];
    d->p = p;
    ip_addr_copy(d->addr, *addr);
    d->port = port;
    s->dq_n++;
    sp_wake();
}

/* --- helpers under the lock --- */

static void tcp_attach(sp_sock_t *s, struct tcp_pcb *pcb) {
    s->pcb.tcp = pcb;
    tcp_arg(pcb, s);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_err);
    tcp_poll(pcb, on_poll, SP_RP2_POLL_TICKS);
    ip_set_option(pcb, s->so_options);
    if (s->nodelay) {
        tcp_nagle_disable(pcb);
    }
}

/* a fresh TCP PCB for a socket whose PCB lwIP freed after a failed connect */
static int tcp_renew(sp_sock_t *s) {
    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (pcb == NULL) {
        return -SP_ENOMEM;
    }
    tcp_attach(s, pcb);
    return 0;
}

static void tcp_detach(struct tcp_pcb *pcb) {
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_poll(pcb, NULL, 0);
}

/* bounded linger: a connection not closed cleanly in time is aborted */
static err_t on_close_poll(void *arg, struct tcp_pcb *pcb) {
    (void)arg;
    tcp_abort(pcb);
    return ERR_ABRT;
}

static int poll_mask(sp_sock_t *s, int events) {
    if (s->closed) {
        return sp_rule_poll_closed(events);
    }
    if (s->type == 2) {
        return ((s->dq_n > 0 ? SP_POLLIN : 0) | SP_POLLOUT) & events;
    }
    int ready = 0; /* what this core holds; sp_rules.h says what the caller is told */
    struct tcp_pcb *pcb = s->pcb.tcp;
    if (s->c.state == SP_CONN_LISTENING) {
        ready = s->acc_n > 0 ? SP_POLLIN : 0;
    } else if (s->c.state == SP_CONN_CONNECTED) {
        ready = s->rx.len > 0 ? SP_POLLIN : 0;
        if (pcb != NULL && !s->mem_blocked && tcp_sndbuf(pcb) > 0
            && tcp_sndqueuelen(pcb) < TCP_SND_QUEUELEN) {
            ready |= SP_POLLOUT;
        }
    }
    return sp_rule_poll(&s->c, events, ready);
}

/* --- engine facts --- */

int sp_max_slots(void) {
    return SP_RP2_SLOTS;
}

int sp_has_ipv6(void) {
    return 0; /* the Pico W engine is IPv4 only (contract section 6) */
}

int sp_has_raw(void) {
    return 0;
}

int sp_rp2_open_count(void) {
    sp_lock();
    int n = open_count;
    sp_unlock();
    return n;
}

/* --- sockets --- */

/* a zeroed socket; allocated unlocked (a MicroPython allocation may run the gc) */
static sp_sock_t *sock_new(int type) {
    sp_sock_t *s = sp_rp2_calloc(1, sizeof(sp_sock_t));
    if (s != NULL) {
        s->type = (uint8_t)type;
        s->mcast_ttl = 1;
    }
    return s;
}

int sp_socket(int family, int type, int proto, sp_sock_t **out) {
    (void)proto;
    *out = NULL;
    if (family != 2) {
        return -SP_EAFNOSUPPORT; /* no IPv6 on this engine */
    }
    if (type == 3) {
        return -SP_EOPNOTSUPP;
    }
    if (type != 1 && type != 2) {
        return -SP_EINVAL;
    }
    sp_sock_t *s = sock_new(type);
    if (s == NULL) {
        return -SP_ENOMEM;
    }
    int r = 0;
    sp_lock();
    if (type == 1) {
        r = tcp_renew(s);
    } else {
        struct udp_pcb *u = udp_new_ip_type(IPADDR_TYPE_V4);
        if (u == NULL) {
            r = -SP_ENOMEM;
        } else {
            s->pcb.udp = u;
            udp_recv(u, on_udp, s);
        }
    }
    if (r == 0) {
        open_count++;
    }
    sp_unlock();
    if (r < 0) {
        sp_rp2_free(s);
        return r;
    }
    *out = s;
    return 0;
}

int sp_bind(sp_sock_t *s, const char *ip, int port) {
    ip_addr_t addr;
    if (parse_addr(ip, port, &addr) < 0) {
        return -SP_EINVAL;
    }
    int r;
    sp_lock();
    if (s->closed) {
        r = -SP_EBADF;
    } else if (!sp_netif_addr_bindable(&addr)) {
        r = -SP_EADDRNOTAVAIL; /* lwIP would bind it anyway (see sp_netif.h) */
    } else if (s->type == 2) {
        r = -map_err(udp_bind(s->pcb.udp, &addr, (u16_t)port));
    } else if (s->c.state != SP_CONN_NEW && s->c.state != SP_CONN_FAILED) {
        r = -SP_EINVAL;
    } else if (s->pcb.tcp == NULL && (r = tcp_renew(s)) < 0) {
        /* r set */
    } else if (s->pcb.tcp->local_port != 0) {
        r = -SP_EINVAL; /* already bound */
    } else {
        r = -map_err(tcp_bind(s->pcb.tcp, &addr, (u16_t)port));
    }
    sp_unlock();
    return r;
}

int sp_listen(sp_sock_t *s, int backlog) {
    if (s->type != 1) {
        return -SP_EOPNOTSUPP;
    }
    if (backlog < 1) {
        backlog = 1;
    } else if (backlog > 255) {
        backlog = 255;
    }
    sp_lock();
    int closed = s->closed;
    sp_conn_t now = s->c;
    sp_unlock();
    if (closed) {
        return -SP_EBADF;
    }
    int r = sp_rule_listen_gate(&now);
    if (r <= 0) {
        return r;
    }
    sp_pending_t *acc = sp_rp2_calloc((size_t)backlog, sizeof(sp_pending_t));
    if (acc == NULL) {
        return -SP_ENOMEM;
    }
    r = 0;
    sp_lock();
    if (s->closed || s->c.state != SP_CONN_NEW) {
        /* closed, listening or connecting, by another thread while the queue was allocated */
        r = s->closed ? -SP_EBADF : sp_rule_listen_gate(&s->c);
    } else {
        if (s->pcb.tcp == NULL) {
            r = tcp_renew(s);
        }
        if (r == 0 && s->pcb.tcp->local_port == 0) {
            r = -map_err(tcp_bind(s->pcb.tcp, IP4_ADDR_ANY, 0)); /* an ephemeral port, as Linux */
        }
        if (r == 0) {
            err_t e = ERR_OK;
            struct tcp_pcb *lpcb = tcp_listen_with_backlog_and_err(s->pcb.tcp, (u8_t)backlog, &e);
            if (lpcb == NULL) {
                r = -map_err(e == ERR_OK ? ERR_MEM : e);
            } else {
                /* the old PCB is gone; a listening PCB has only arg and accept */
                s->pcb.tcp = lpcb;
                tcp_arg(lpcb, s);
                tcp_accept(lpcb, on_accept);
                s->acc = acc;
                s->acc_cap = (uint16_t)backlog;
                s->c.state = SP_CONN_LISTENING;
                acc = NULL;
            }
        }
    }
    sp_unlock();
    if (acc != NULL) {
        sp_rp2_free(acc);
    }
    return r;
}

int sp_accept(sp_sock_t *s, sp_sock_t **out, char ip[SP_IPSTR_LEN], int *port) {
    *out = NULL;
    sp_lock();
    int state = s->c.state, pending = s->acc_n, closed = s->closed;
    sp_unlock();
    if (closed) {
        return -SP_EBADF;
    }
    if (state != SP_CONN_LISTENING) {
        return -SP_EINVAL;
    }
    if (pending == 0) {
        return -SP_EAGAIN;
    }
    sp_sock_t *ns = sock_new(1);
    if (ns == NULL) {
        return -SP_ENOMEM; /* the connection stays queued */
    }
    int r = 0;
    sp_lock();
    sp_pending_t *e = NULL; /* the oldest pending connection (it may have died meanwhile) */
    for (uint16_t i = 0; !s->closed && i < s->acc_cap; i++) {
        if (s->acc[i].pcb != NULL && (e == NULL || (int32_t)(s->acc[i].seq - e->seq) < 0)) {
            e = &s->acc[i];
        }
    }
    if (s->closed) {
        r = -SP_EBADF; /* by another thread meanwhile: its queue is gone */
    } else if (e == NULL) {
        r = -SP_EAGAIN;
    } else {
        struct tcp_pcb *pcb = e->pcb;
        ns->c.state = SP_CONN_CONNECTED;
        ns->c.peer_closed = e->fin;
        ns->nodelay = s->nodelay;
        ns->so_options = pcb->so_options;
        ns->rx = e->rx;
        tcp_attach(ns, pcb);
        format_ip(&pcb->remote_ip, ip);
        *port = pcb->remote_port;
        memset(e, 0, sizeof(*e));
        s->acc_n--;
        open_count++;
        *out = ns;
    }
    sp_unlock();
    if (r < 0) {
        sp_rp2_free(ns);
    }
    return r;
}

/* a TCP connect; lock held */
static int tcp_connect_to(sp_sock_t *s, const ip_addr_t *addr, int port) {
    int r = sp_conn_connect_gate(&s->c);
    if (r <= 0) {
        return r;
    }
    if (sp_netif_no_route(addr)) {
        return -SP_EHOSTUNREACH; /* a broadcast or multicast address (sp_netif.h) */
    }
    if (s->pcb.tcp == NULL && (r = tcp_renew(s)) < 0) {
        return r;
    }
    err_t e = tcp_connect(s->pcb.tcp, addr, (u16_t)port, on_connected);
    if (e != ERR_OK) {
        return -sp_rule_connect_error(map_err(e)); /* failed at once: the socket stays new */
    }
    s->c.state = SP_CONN_CONNECTING;
    return -SP_EINPROGRESS;
}

int sp_connect(sp_sock_t *s, const char *ip, int port) {
    ip_addr_t addr;
    if (parse_addr(ip, port, &addr) < 0) {
        return -SP_EINVAL;
    }
    sp_lock();
    int r = s->closed ? -SP_EBADF
        : s->type == 2 ? -map_err(udp_connect(s->pcb.udp, &addr, (u16_t)port))
        : tcp_connect_to(s, &addr, port);
    sp_unlock();
    return r;
}

int sp_connect_result(sp_sock_t *s) {
    int r;
    sp_lock();
    r = s->closed ? -SP_EBADF : sp_rule_connect_result(&s->c);
    sp_unlock();
    return r;
}

/* gather up to len queued bytes; lock held, rx.len > 0 */
static size_t tcp_gather(sp_sock_t *s, uint8_t *buf, size_t len) {
    size_t n = 0;
    struct pbuf *p = s->rx.head;
    uint16_t off = s->rx_off;
    while (n < len && p != NULL) {
        size_t avail = (size_t)(p->len - off);
        size_t c = len - n < avail ? len - n : avail;
        memcpy(buf + n, (const uint8_t *)p->payload + off, c);
        n += c;
        off = (uint16_t)(off + c);
        if (off == p->len) {
            struct pbuf *next = p->next;
            p->next = NULL;
            pbuf_free(p);
            p = next;
            off = 0;
        }
    }
    s->rx.head = p;
    if (p == NULL) {
        s->rx.tail = NULL;
    }
    s->rx_off = off;
    s->rx.len -= (uint32_t)n;
    if (s->pcb.tcp != NULL) {
        size_t left = n;
        while (left > 0) { /* tcp_recved takes at most 0xffff at a time */
            u16_t step = left > 0xffff ? 0xffff : (u16_t)left;
            tcp_recved(s->pcb.tcp, step);
            left -= step;
        }
    }
    return n;
}

static int udp_take(sp_sock_t *s, uint8_t *buf, size_t len, char ip[SP_IPSTR_LEN], int *port) {
    if (s->dq_n == 0) {
        return -SP_EAGAIN;
    }
    sp_dgram_t *d = &s->dq[s->dq_get];
    size_t n = d->p->tot_len < len ? d->p->tot_len : len;
    pbuf_copy_partial(d->p, buf, (u16_t)n, 0); /* the rest of the datagram is dropped */
    if (ip != NULL) {
        format_ip(&d->addr, ip);
        *port = d->port;
    }
    pbuf_free(d->p);
    d->p = NULL;
    s->dq_get = (uint8_t)((s->dq_get + 1) % SP_UDP_QUEUE);
    s->dq_n--;
    return (int)n;
}

static int tcp_take(sp_sock_t *s, uint8_t *buf, size_t len) {
    int r = sp_rule_recv_gate(&s->c);
    if (r <= 0) {
        return r;
    }
    if (len == 0) {
        return 0;
    }
    if (s->rx.len > 0) {
        return (int)tcp_gather(s, buf, len > 0x7fffffff ? 0x7fffffff : len);
    }
    return sp_rule_recv_empty(&s->c);
}

int sp_recv_into(sp_sock_t *s, uint8_t *buf, size_t len) {
    int r;
    sp_lock();
    r = s->closed ? -SP_EBADF : s->type == 2 ? udp_take(s, buf, len, NULL, NULL) : tcp_take(s, buf, len);
    sp_unlock();
    return r;
}

int sp_recvfrom_into(sp_sock_t *s, uint8_t *buf, size_t len, char ip[SP_IPSTR_LEN], int *port) {
    int r;
    sp_lock();
    if (s->closed) {
        r = -SP_EBADF;
    } else if (s->type == 2) {
        r = udp_take(s, buf, len, ip, port);
    } else {
        r = tcp_take(s, buf, len);
        if (r >= 0) {
            if (s->pcb.tcp != NULL) {
                format_ip(&s->pcb.tcp->remote_ip, ip);
                *port = s->pcb.tcp->remote_port;
            } else {
                ip[0] = '\0';
                *port = 0;
            }
        }
    }
    sp_unlock();
    return r;
}

static int udp_out(sp_sock_t *s, const uint8_t *data, size_t len, const ip_addr_t *addr, int port) {
    if (len > 0xffff - 8 - 20) {
        return -SP_EMSGSIZE;
    }
    struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
    if (p == NULL) {
        return -SP_ENOMEM;
    }
    if (len > 0) {
        pbuf_take(p, data, (u16_t)len);
    }
    err_t e = addr != NULL ? udp_sendto(s->pcb.udp, p, addr, (u16_t)port) : udp_send(s->pcb.udp, p);
    pbuf_free(p);
    return e == ERR_OK ? (int)len : -map_err(e);
}

static int tcp_out(sp_sock_t *s, const uint8_t *data, size_t len) {
    int r = sp_rule_send_gate(&s->c);
    if (r <= 0) {
        return r;
    }
    struct tcp_pcb *pcb = s->pcb.tcp;
    if (pcb == NULL) {
        return sp_conn_send_failed(&s->c, SP_ECONNRESET); /* the PCB has gone */
    }
    if (len == 0) {
        return 0;
    }
    size_t room = tcp_sndbuf(pcb);
    if (room == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN || s->mem_blocked) {
        return -SP_EAGAIN;
    }
    size_t n = len < room ? len : room;
    if (n > 0xffff) {
        n = 0xffff;
    }
    err_t e;
    while ((e = tcp_write(pcb, data, (u16_t)n, TCP_WRITE_FLAG_COPY)) == ERR_MEM && n > 1) {
        n /= 2; /* out of segments or pbufs: offer less */
    }
    if (e == ERR_MEM) {
        /* back-pressure: not writable until something is acknowledged (or a poll tick) */
        s->mem_blocked = 1;
        tcp_output(pcb);
        return -SP_EAGAIN;
    }
    if (e != ERR_OK) {
        return sp_conn_send_failed(&s->c, map_err(e));
    }
    tcp_output(pcb); /* lwIP applies Nagle here unless TCP_NODELAY */
    return (int)n;
}

int sp_send(sp_sock_t *s, const uint8_t *data, size_t len) {
    int r;
    sp_lock();
    if (s->closed) {
        r = -SP_EBADF;
    } else if (s->type == 2) {
        r = sp_rule_dgram_send_gate(s->pcb.udp->remote_port != 0);
        if (r > 0) {
            r = udp_out(s, data, len, NULL, 0);
        }
    } else {
        r = tcp_out(s, data, len);
    }
    sp_unlock();
    return r;
}

int sp_sendto(sp_sock_t *s, const uint8_t *data, size_t len, const char *ip, int port) {
    if (s->type != 2) {
        return sp_send(s, data, len); /* TCP: the address is ignored */
    }
    ip_addr_t addr;
    if (parse_addr(ip, port, &addr) < 0) {
        return -SP_EINVAL;
    }
    sp_lock();
    int r = s->closed ? -SP_EBADF : udp_out(s, data, len, &addr, port);
    sp_unlock();
    return r;
}

static void set_so_option(sp_sock_t *s, uint8_t opt, int on) {
    if (on) {
        s->so_options |= opt;
    } else {
        s->so_options &= (uint8_t)~opt;
    }
    if (s->type == 2) {
        s->pcb.udp->so_options = s->so_options;
    } else if (s->pcb.tcp != NULL) {
        s->pcb.tcp->so_options = s->so_options;
    }
}

int sp_setsockopt(sp_sock_t *s, int level, int opt, const void *value, size_t len) {
    int ival = 0;
    int is_int = len == sizeof(int);
    if (is_int) {
        memcpy(&ival, value, sizeof(int));
    }
    int r = 0;
    sp_lock();
    if (s->closed) {
        r = -SP_EBADF;
    } else if (level == 0xfff && (opt == 0x04 || opt == 0x08 || opt == 0x20)) {
        /* SO_REUSEADDR, SO_KEEPALIVE, SO_BROADCAST: same bits as lwIP's SOF_* */
        if (!is_int) {
            r = -SP_EINVAL;
        } else {
            set_so_option(s, (uint8_t)opt, ival != 0);
        }
    } else if (level == 0xfff && opt == 0x80) { /* SO_LINGER: struct linger {int on, secs} */
        int on_secs[2];
        if (s->type != 1 || len != sizeof(on_secs)) {
            r = s->type != 1 ? -SP_ENOPROTOOPT : -SP_EINVAL;
        } else {
            memcpy(on_secs, value, sizeof(on_secs));
            s->linger_reset = on_secs[0] != 0 && on_secs[1] == 0;
        }
    } else if (level == 6 && opt == 1) { /* IPPROTO_TCP, TCP_NODELAY */
        if (s->type != 1) {
            r = -SP_ENOPROTOOPT;
        } else if (!is_int) {
            r = -SP_EINVAL;
        } else {
            s->nodelay = ival != 0;
            if (s->pcb.tcp != NULL && s->c.state != SP_CONN_LISTENING) {
                if (s->nodelay) {
                    tcp_nagle_disable(s->pcb.tcp);
                } else {
                    tcp_nagle_enable(s->pcb.tcp);
                }
            }
        }
    } else if (level == 0 && opt == 5) { /* IPPROTO_IP, IP_MULTICAST_TTL */
        if (!is_int || ival < 0 || ival > 255) {
            r = -SP_EINVAL;
        } else {
            s->mcast_ttl = (uint8_t)ival;
            if (s->type == 2) {
                udp_set_multicast_ttl(s->pcb.udp, (u8_t)ival);
            }
        }
#if LWIP_IGMP
    } else if (level == 0 && opt == 3) { /* IPPROTO_IP, IP_ADD_MEMBERSHIP: struct ip_mreq */
        if (s->type != 2 || len != 8) {
            r = s->type != 2 ? -SP_ENOPROTOOPT : -SP_EINVAL;
        } else {
            ip4_addr_t group, iface;
            memcpy(&group, value, 4);
            memcpy(&iface, (const uint8_t *)value + 4, 4);
            r = -map_err(igmp_joingroup(&iface, &group));
        }
#endif
    } else {
        r = -SP_ENOPROTOOPT;
    }
    sp_unlock();
    return r;
}

int sp_poll(sp_sock_t *s, int events, int timeout_ms) {
    sp_deadline_t d;
    sp_deadline_start(&d, timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        sp_lock();
        uint32_t seen = sp_wake_count(); /* before looking: a wake after this is never lost */
        int m = poll_mask(s, events);
        sp_unlock();
        int32_t left = sp_deadline_left(&d);
        if (m != 0 || left == 0) {
            return m;
        }
        sp_wait(seen, (uint32_t)left);
    }
}

void sp_close(sp_sock_t *s) {
    sp_pending_t *acc = NULL;
    if (s == NULL) {
        return;
    }
    sp_lock();
    if (s->closed) {
        sp_unlock();
        return;
    }
    s->closed = 1;
    if (s->type == 2) {
        udp_recv(s->pcb.udp, NULL, NULL);
        udp_remove(s->pcb.udp);
        while (s->dq_n > 0) {
            pbuf_free(s->dq[s->dq_get].p);
            s->dq_get = (uint8_t)((s->dq_get + 1) % SP_UDP_QUEUE);
            s->dq_n--;
        }
    } else if (s->c.state == SP_CONN_LISTENING) {
        for (uint16_t i = 0; i < s->acc_cap; i++) {
            sp_pending_t *e = &s->acc[i];
            if (e->pcb != NULL) {
                tcp_detach(e->pcb);
                tcp_abort(e->pcb); /* never accepted: the peer gets a reset */
                rx_drop(&e->rx);
            }
        }
        acc = s->acc;
        s->acc = NULL;
        s->acc_cap = 0;
        s->acc_n = 0;
        tcp_arg(s->pcb.tcp, NULL);
        tcp_accept(s->pcb.tcp, NULL);
        tcp_close(s->pcb.tcp); /* a listening PCB closes at once */
    } else {
        struct tcp_pcb *pcb = s->pcb.tcp;
        /* unread data: lwIP's tcp_close sees the window not reopened and resets, as Linux does */
        rx_drop(&s->rx);
        if (pcb != NULL && s->linger_reset) {
            tcp_detach(pcb);
            tcp_abort(pcb);
        } else if (pcb != NULL) {
            tcp_detach(pcb);
            /* set before tcp_close, which may free the PCB at once */
            tcp_poll(pcb, on_close_poll, (u8_t)((SP_CLOSE_LINGER_MS + 499) / 500));
            if (tcp_close(pcb) != ERR_OK) {
                tcp_abort(pcb); /* no memory for the FIN */
            }
        }
    }
    s->pcb.tcp = NULL;
    open_count--;
    sp_unlock();
    sp_wake(); /* a thread waiting on s looks again, finds it closed: EBADF */
    if (acc != NULL) {
        sp_rp2_free(acc);
    }
}

void sp_free(sp_sock_t *s) {
    if (s != NULL) {
        sp_close(s);
        sp_rp2_free(s);
    }
}

/* --- names: lwIP's DNS client, firmware only (Debian's lwIP has none) --- */

#if SP_DNS && LWIP_DNS
#ifndef SP_RP2_DNS_TIMEOUT_MS
#define SP_RP2_DNS_TIMEOUT_MS 10000
#endif

/* one lookup at a time; a lookup abandoned by a timeout is recognised by its sequence number */
static struct {
    uint32_t seq;
    int8_t done; /* 0 waiting, 1 found, -1 failed */
    ip_addr_t addr;
} dns_req;

static void on_dns(const char *name, const ip_addr_t *addr, void *arg) {
    (void)name;
    if ((uint32_t)(uintptr_t)arg != dns_req.seq) {
        return; /* an abandoned lookup */
    }
    if (addr != NULL && IP_IS_V4(addr)) {
        ip_addr_copy(dns_req.addr, *addr);
        dns_req.done = 1;
    } else {
        dns_req.done = -1;
    }
    sp_wake();
}

int sp_resolve(const char *host, int family, sp_addr_t *out, int max) {
    if ((family != 0 && family != 2) || max < 1) {
        return 0; /* IPv4 only */
    }
    sp_deadline_t d;
    sp_deadline_start(&d, SP_RP2_DNS_TIMEOUT_MS);
    ip_addr_t addr;
    sp_lock();
    uint32_t seq = ++dns_req.seq;
    dns_req.done = 0;
#if LWIP_IPV6
    err_t e = dns_gethostbyname_addrtype(host, &addr, on_dns, (void *)(uintptr_t)seq,
        LWIP_DNS_ADDRTYPE_IPV4);
#else
    err_t e = dns_gethostbyname(host, &addr, on_dns, (void *)(uintptr_t)seq);
#endif
    sp_unlock();
    if (e != ERR_OK && e != ERR_INPROGRESS) {
        return 0;
    }
    while (e == ERR_INPROGRESS) {
        sp_lock();
        uint32_t seen = sp_wake_count();
        int done = dns_req.done;
        ip_addr_copy(addr, dns_req.addr);
        sp_unlock();
        if (done < 0) {
            return 0;
        }
        if (done > 0) {
            break;
        }
        int32_t left = sp_deadline_slice(&d, SP_WAIT_SLICE_MS);
        if (left == 0) {
            return -SP_ETIMEDOUT;
        }
        sp_wait(seen, (uint32_t)left);
    }
    out[0].family = 2;
    format_ip(&addr, out[0].ip);
    return 1;
}
#else
int sp_resolve(const char *host, int family, sp_addr_t *out, int max) {
    (void)host;
    (void)family;
    (void)out;
    (void)max;
    return -SP_EOPNOTSUPP; /* no DNS client in this lwIP: the host build resolves through the OS */
}
#endif
