/*
 * sp_host_platform.c - the platform under a native core when it runs on the host over Debian's
 * liblwip-dev: lwIP's thread (tcpip_init), an in-process loopback netif at 127.0.0.1/8 and ::1
 * whose output is netif_loop_output (Debian's lwIP has no loop netif of its own), the link to
 * this computer (below), the clock of sp_deadline.h, and the lock/wake hooks of sp_port.h.
 *
 * The link: with SOCKETPOOL_HOST_LINK set, e.g.
 *     SOCKETPOOL_HOST_LINK="netns=/run/netns/sp1 dev=sptun0 ip=10.53.0.2/24 gw=10.53.0.1 ip6=fd53::2"
 * lwIP gets a second netif over the TUN device `dev` of that network namespace (sp_host_tun.c),
 * as a board has its Wi-Fi netif: the default route, its own addresses, MTU 1500. Packets lwIP
 * sends are written to the device; a reader thread hands what the namespace's kernel sends to
 * lwIP's thread. The namespace's ordinary kernel sockets are then the peers of a test (the
 * harness makes the namespace and the device: tools/socketpool_tools/netlink.py). A link that
 * is asked for and cannot be opened makes sp_host_start() fail.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/raw.h"
#include "lwip/tcpip.h"

#include "sp_config.h"
#include "sp_deadline.h"
#include "sp_engine.h"
#include "sp_port.h"

int sp_host_start(void);
int sp_host_tun_open(const char *netns, const char *dev);

static struct netif sp_loop_netif;
static pthread_once_t sp_started = PTHREAD_ONCE_INIT;
static int sp_start_result = -1;

static err_t sp_loop_out4(struct netif *netif, struct pbuf *p, const ip4_addr_t *addr) {
    (void)addr;
    return netif_loop_output(netif, p);
}

#if LWIP_IPV6
static err_t sp_loop_out6(struct netif *netif, struct pbuf *p, const ip6_addr_t *addr) {
    (void)addr;
    return netif_loop_output(netif, p);
}
#endif

static err_t sp_loop_init(struct netif *netif) {
    netif->name[0] = 'l';
    netif->name[1] = 'o';
    netif->mtu = 0xffff; /* a whole 64 KiB datagram in one piece, as on Linux's lo */
    netif->output = sp_loop_out4;
#if LWIP_IPV6
    netif->output_ip6 = sp_loop_out6;
#endif
    return ERR_OK;
}

/* ---- the loopback wire: the rate limit on needless ACKs that lwIP lacks ------------------
 *
 * lwIP (2.1.3, and 2.2) answers a segment it finds outside its receive window with an empty
 * ACK, and with its window at 0 it finds even a bare ACK at RCV.NXT outside (RFC 793 accepts
 * that one). Two lwIP ends whose windows are both closed (a target talking to itself through
 * 127.0.0.1, each side sending faster than it reads) then answer each other's ACK forever. On
 * this netif every reply is handled inside the same netif_poll() with the core lock held, so
 * no application thread can ever read and reopen a window: lwIP's thread spins for good
 * (issue 11: two threads on one socket, echoed by the target's own listener). Linux rate-limits
 * exactly these ACKs (tcp_invalid_ratelimit, 500 ms); here the wire does: a bare ACK identical
 * to the previous one of its flow (same ports, sequence, ack and window) within
 * SP_LOOP_ACK_REPEAT_MS is dropped before TCP sees it. A lossless loopback needs no duplicate
 * ACK (they only signal loss), window updates differ in their window, and lwIP's zero-window
 * probes are at least 1.5 s apart, so nothing else is lost. */
#define SP_LOOP_ACK_REPEAT_MS 200
#define SP_LOOP_FLOWS 32

static struct {
    uint32_t ports; /* source port << 16 | destination port; 0: free */
    uint32_t seq, ack, when_ms;
    uint16_t wnd;
} sp_loop_acks[SP_LOOP_FLOWS]; /* lwIP's thread only (core locked) */

static uint32_t sp_loop_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

static uint32_t sp_be32(const uint8_t *b) {
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

/* 1 when p (an IP packet arriving on the loopback netif) is a repeated bare ACK */
static int sp_loop_repeated_ack(struct pbuf *p) {
    uint8_t h[80];
    u16_t n = pbuf_copy_partial(p, h, sizeof(h), 0);
    int ip_len, tcp, total;
    if (n >= 20 && (h[0] >> 4) == 4 && h[9] == 6) {
        ip_len = (h[0] & 0x0f) * 4;
        total = (h[2] << 8) | h[3];
    } else if (n >= 40 && (h[0] >> 4) == 6 && h[6] == 6) {
        ip_len = 40;
        total = 40 + ((h[4] << 8) | h[5]);
    } else {
        return 0;
    }
    tcp = ip_len;
    if (n < tcp + 20) {
        return 0;
    }
    int flags = h[tcp + 13], tcp_len = (h[tcp + 12] >> 4) * 4;
    if ((flags & 0x17) != 0x10 || total - ip_len - tcp_len != 0) {
        return 0; /* SYN, FIN, RST or data: always delivered */
    }
    uint32_t ports = sp_be32(h + tcp), seq = sp_be32(h + tcp + 4), ack = sp_be32(h + tcp + 8);
    uint16_t wnd = (uint16_t)((h[tcp + 14] << 8) | h[tcp + 15]);
    uint32_t now = sp_loop_ms();
    /* the flow's entry (each direction has its own), else the least recently used one */
    int slot = 0;
    for (int i = 0; i < SP_LOOP_FLOWS; i++) {
        if (sp_loop_acks[i].ports == ports) {
            slot = i;
            break;
        }
        if (now - sp_loop_acks[i].when_ms > now - sp_loop_acks[slot].when_ms) {
            slot = i;
        }
    }
    int repeated = sp_loop_acks[slot].ports == ports && sp_loop_acks[slot].seq == seq &&
                   sp_loop_acks[slot].ack == ack && sp_loop_acks[slot].wnd == wnd &&
                   now - sp_loop_acks[slot].when_ms < SP_LOOP_ACK_REPEAT_MS;
    if (!repeated) {
        sp_loop_acks[slot].ports = ports;
        sp_loop_acks[slot].seq = seq;
        sp_loop_acks[slot].ack = ack;
        sp_loop_acks[slot].wnd = wnd;
        sp_loop_acks[slot].when_ms = now;
    }
    return repeated;
}

/* a raw PCB for TCP sees every segment before TCP does: eating one is losing it on the wire */
static u8_t sp_loop_filter(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr) {
    (void)arg;
    (void)pcb;
    (void)addr;
    if (ip_current_input_netif() == &sp_loop_netif && sp_loop_repeated_ack(p)) {
        pbuf_free(p);
        return 1;
    }
    return 0;
}

/* ---- the link: a netif over a TUN device ------------------------------------------------ */

#define SP_LINK_MTU 1500
#define SP_LINK_MAX 65535 /* the most an IP packet (a TUN read or write) can be */

static struct netif sp_link_netif;
static int sp_link_fd = -1;
static uint8_t sp_link_out_buf[SP_LINK_MAX]; /* used in lwIP's thread only (core locked) */

static err_t sp_link_write(struct pbuf *p) {
    u16_t n = pbuf_copy_partial(p, sp_link_out_buf, sizeof(sp_link_out_buf), 0);
    ssize_t w;
    do {
        w = write(sp_link_fd, sp_link_out_buf, n);
    } while (w < 0 && errno == EINTR);
    return w == (ssize_t)n ? ERR_OK : ERR_IF; /* a full device queue drops, as a radio does */
}

static err_t sp_link_out4(struct netif *netif, struct pbuf *p, const ip4_addr_t *addr) {
    (void)netif;
    (void)addr;
    return sp_link_write(p);
}

#if LWIP_IPV6
static err_t sp_link_out6(struct netif *netif, struct pbuf *p, const ip6_addr_t *addr) {
    (void)netif;
    (void)addr;
    return sp_link_write(p);
}
#endif

static err_t sp_link_init(struct netif *netif) {
    netif->name[0] = 't';
    netif->name[1] = 'n';
    netif->mtu = SP_LINK_MTU;
    netif->output = sp_link_out4;
#if LWIP_IPV6
    netif->output_ip6 = sp_link_out6;
#endif
    return ERR_OK;
}

/* what the kernel sends: each read is one IP packet, handed to lwIP's thread */
static void *sp_link_reader(void *arg) {
    (void)arg;
    uint8_t *buf = malloc(SP_LINK_MAX);
    if (buf == NULL) {
        return NULL;
    }
    for (;;) {
        ssize_t n = read(sp_link_fd, buf, SP_LINK_MAX);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break; /* the device went away (its namespace was deleted) */
        }
        /* one piece (PBUF_RAM): with Debian's liblwip a PBUF_POOL chain overran its first
         * buffer in pbuf_take (ASan: 1500 bytes into a 616-byte block) */
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM);
        if (p == NULL) {
            continue; /* out of buffers: the packet is lost, TCP sends it again */
        }
        pbuf_take(p, buf, (u16_t)n);
        if (sp_link_netif.input(p, &sp_link_netif) != ERR_OK) {
            pbuf_free(p);
        }
    }
    free(buf);
    return NULL;
}

/* "key=value ..." of SOCKETPOOL_HOST_LINK: netns, dev, ip (a.b.c.d/prefix), gw, ip6 */
static int sp_link_start(const char *spec) {
    char copy[512], *save = NULL, *netns = NULL, *dev = NULL, *ip = NULL, *gw = NULL, *ip6 = NULL;
    if (strlen(spec) >= sizeof(copy)) {
        fprintf(stderr, "socketpool: SOCKETPOOL_HOST_LINK is too long\n");
        return -1;
    }
    strcpy(copy, spec);
    for (char *kv = strtok_r(copy, " ", &save); kv != NULL; kv = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(kv, '=');
        if (eq == NULL) {
            continue;
        }
        *eq = '\0';
        char **slot = !strcmp(kv, "netns") ? &netns : !strcmp(kv, "dev") ? &dev :
            !strcmp(kv, "ip") ? &ip : !strcmp(kv, "gw") ? &gw : !strcmp(kv, "ip6") ? &ip6 : NULL;
        if (slot == NULL) {
            fprintf(stderr, "socketpool: SOCKETPOOL_HOST_LINK: unknown key %s\n", kv);
            return -1;
        }
        *slot = eq + 1;
    }
    ip4_addr_t addr, mask, gateway;
    int prefix = 24;
    char *slash = ip != NULL ? strchr(ip, '/') : NULL;
    if (slash != NULL) {
        *slash = '\0';
        prefix = atoi(slash + 1);
    }
    if (dev == NULL || ip == NULL || !ip4addr_aton(ip, &addr) || prefix < 1 || prefix > 32 ||
        (gw != NULL && !ip4addr_aton(gw, &gateway))) {
        fprintf(stderr, "socketpool: SOCKETPOOL_HOST_LINK needs dev=<tun> ip=<a.b.c.d/prefix>\n");
        return -1;
    }
    if (gw == NULL) {
        ip4_addr_set_zero(&gateway);
    }
    ip4_addr_set_u32(&mask, lwip_htonl(prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix)));
    sp_link_fd = sp_host_tun_open(netns, dev);
    if (sp_link_fd < 0) {
        fprintf(stderr, "socketpool: cannot open TUN device %s in %s: %s\n", dev,
            netns ? netns : "this namespace", strerror(-sp_link_fd));
        return -1;
    }
    LOCK_TCPIP_CORE();
    if (netif_add(&sp_link_netif, &addr, &mask, &gateway, NULL, sp_link_init, tcpip_input) == NULL) {
        UNLOCK_TCPIP_CORE();
        return -1;
    }
#if LWIP_IPV6
    ip6_addr_t a6;
    s8_t index;
    if (ip6 != NULL) {
        if (!ip6addr_aton(ip6, &a6) || netif_add_ip6_address(&sp_link_netif, &a6, &index) != ERR_OK) {
            UNLOCK_TCPIP_CORE();
            fprintf(stderr, "socketpool: SOCKETPOOL_HOST_LINK: bad ip6 %s\n", ip6);
            return -1;
        }
        netif_ip6_addr_set_state(&sp_link_netif, index, IP6_ADDR_PREFERRED); /* no DAD: ours alone */
    }
#endif
    netif_set_default(&sp_link_netif);
    netif_set_link_up(&sp_link_netif);
    netif_set_up(&sp_link_netif);
    UNLOCK_TCPIP_CORE();
    /* like lwIP's thread, the reader takes no signals (they are the interpreter's) */
    sigset_t all, old;
    pthread_t reader;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int r = pthread_create(&reader, NULL, sp_link_reader, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        return -1;
    }
    pthread_detach(reader);
    return 0;
}

static void sp_tcpip_ready(void *arg) {
    sys_sem_signal((sys_sem_t *)arg);
}

static void sp_start_once(void) {
    sys_sem_t ready;
    ip4_addr_t ip, mask, gw;
    if (sys_sem_new(&ready, 0) != ERR_OK) {
        return;
    }
    /* lwIP's thread inherits this mask: signals (Ctrl-C) go to the interpreter's threads, never
     * to lwIP's (a SIGINT handled there crashed MicroPython's unix port) */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    tcpip_init(sp_tcpip_ready, &ready);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    sys_sem_wait(&ready);
    sys_sem_free(&ready);
    IP4_ADDR(&ip, 127, 0, 0, 1);
    IP4_ADDR(&mask, 255, 0, 0, 0);
    IP4_ADDR(&gw, 0, 0, 0, 0);
    LOCK_TCPIP_CORE();
    if (netif_add(&sp_loop_netif, &ip, &mask, &gw, NULL, sp_loop_init, tcpip_input) == NULL) {
        UNLOCK_TCPIP_CORE();
        return;
    }
#if LWIP_IPV6
    ip6_addr_t ip6;
    s8_t index;
    ip6_addr_set_loopback(&ip6);
    if (netif_add_ip6_address(&sp_loop_netif, &ip6, &index) == ERR_OK) {
        netif_ip6_addr_set_state(&sp_loop_netif, index, IP6_ADDR_PREFERRED);
    }
#endif
    netif_set_default(&sp_loop_netif);
    netif_set_link_up(&sp_loop_netif);
    netif_set_up(&sp_loop_netif);
    struct raw_pcb *filter = raw_new_ip_type(IPADDR_TYPE_ANY, IP_PROTO_TCP);
    if (filter != NULL) {
        raw_recv(filter, sp_loop_filter, NULL);
    }
    UNLOCK_TCPIP_CORE();
    const char *link = getenv("SOCKETPOOL_HOST_LINK");
    if (link != NULL && *link != '\0' && sp_link_start(link) != 0) {
        return; /* a link was asked for and cannot be had: say so, never run without it */
    }
    sp_start_result = 0;
}

/* start lwIP, the loopback netif and the link (when asked for) once per process; 0 when ready */
int sp_host_start(void) {
    pthread_once(&sp_started, sp_start_once);
    return sp_start_result;
}

#if SP_HOST_CLOCK
uint32_t sp_ticks_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}
#endif

void sp_lock(void) {
    LOCK_TCPIP_CORE();
}

void sp_unlock(void) {
    UNLOCK_TCPIP_CORE();
}

static pthread_mutex_t sp_wake_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sp_wake_cond = PTHREAD_COND_INITIALIZER;
static uint32_t sp_wakes;

void sp_wake(void) {
    pthread_mutex_lock(&sp_wake_mutex);
    sp_wakes++;
    pthread_cond_broadcast(&sp_wake_cond);
    pthread_mutex_unlock(&sp_wake_mutex);
}

uint32_t sp_wake_count(void) {
    pthread_mutex_lock(&sp_wake_mutex);
    uint32_t n = sp_wakes;
    pthread_mutex_unlock(&sp_wake_mutex);
    return n;
}

void sp_wait(uint32_t seen, uint32_t ms) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(ms / 1000u);
    until.tv_nsec += (long)(ms % 1000u) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&sp_wake_mutex);
    while (sp_wakes == seen) {
        if (pthread_cond_timedwait(&sp_wake_cond, &sp_wake_mutex, &until) != 0) {
            break;
        }
    }
    pthread_mutex_unlock(&sp_wake_mutex);
}
