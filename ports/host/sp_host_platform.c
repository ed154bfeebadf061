/*
 * sp_host_platform.c - the platform under a native core when it runs on the host over Debian's
 * liblwip-dev: lwIP's thread (tcpip_init), an in-process loopback netif at 127.0.0.1/8 and ::1
 * whose output is netif_loop_output (Debian's lwIP has no loop netif of its own), the clock of
 * sp_deadline.h, and the lock/wake hooks of sp_port.h.
 *
 * Nothing on this netif reaches the host's kernel: peers of a test live in the same lwIP (the
 * Python driver's peer sockets).
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/raw.h"
#include "lwip/api.h"
#include "lwip/tcp.h"
#include "lwip/priv/sockets_priv.h"
#include "lwip/tcpip.h"

#include "sp_config.h"
#include "sp_deadline.h"
#include "sp_engine.h"
#include "sp_port.h"

int sp_host_start(void);

static struct netif sp_loop_netif;
static pthread_once_t sp_started = PTHREAD_ONCE_INIT;
static int sp_start_result = -1;

/*
 * Test peers' listen(0): Linux drops a SYN when the accept queue is full, which gives tests a
 * connect that stays in progress without leaving loopback; Debian's lwIP ignores the backlog
 * (TCP_LISTEN_BACKLOG is off). A stalled port lets `allow` SYNs through, then drops the rest.
 */
#define SP_STALL_MAX 8
static struct {
    int port; /* 0: free entry */
    int allow;
} sp_stalled[SP_STALL_MAX];
static pthread_mutex_t sp_stall_mutex = PTHREAD_MUTEX_INITIALIZER;

int sp_host_stall_port(int port, int allow);

/* allow >= 0: stall `port` after `allow` more SYNs; allow < 0: stop stalling it. 0 when done */
int sp_host_stall_port(int port, int allow) {
    int free_slot = -1, r = -1;
    pthread_mutex_lock(&sp_stall_mutex);
    for (int i = 0; i < SP_STALL_MAX; i++) {
        if (sp_stalled[i].port == port) {
            if (allow < 0) {
                sp_stalled[i].port = 0;
            } else {
                sp_stalled[i].allow = allow;
            }
            r = 0;
            break;
        }
        if (sp_stalled[i].port == 0 && free_slot < 0) {
            free_slot = i;
        }
    }
    if (r != 0 && allow >= 0 && free_slot >= 0) {
        sp_stalled[free_slot].port = port;
        sp_stalled[free_slot].allow = allow;
        r = 0;
    }
    pthread_mutex_unlock(&sp_stall_mutex);
    return allow < 0 ? 0 : r;
}

/* 1 when p is a SYN (without ACK) to a stalled port that has no allowance left */
static int sp_drop_syn(struct pbuf *p) {
    uint8_t h[60];
    u16_t n = pbuf_copy_partial(p, h, sizeof(h), 0);
    int tcp;
    if (n >= 20 && (h[0] >> 4) == 4 && h[9] == 6) {
        tcp = (h[0] & 0x0f) * 4;
    } else if (n >= 40 && (h[0] >> 4) == 6 && h[6] == 6) {
        tcp = 40;
    } else {
        return 0;
    }
    if (n < tcp + 14 || (h[tcp + 13] & 0x12) != 0x02) {
        return 0;
    }
    int port = (h[tcp + 2] << 8) | h[tcp + 3], drop = 0;
    pthread_mutex_lock(&sp_stall_mutex);
    for (int i = 0; i < SP_STALL_MAX; i++) {
        if (sp_stalled[i].port == port) {
            if (sp_stalled[i].allow > 0) {
                sp_stalled[i].allow--;
            } else {
                drop = 1;
            }
            break;
        }
    }
    pthread_mutex_unlock(&sp_stall_mutex);
    return drop;
}

/* a raw PCB for TCP sees every segment before TCP does (lwIP delivers 127/8 and ::1 straight
 * to the loop queue, past netif->output): eating a SYN is losing it on the wire */
static u8_t sp_syn_filter(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr) {
    (void)arg;
    (void)pcb;
    (void)addr;
    if (sp_drop_syn(p)) {
        pbuf_free(p);
        return 1;
    }
    return 0;
}

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
        raw_recv(filter, sp_syn_filter, NULL);
    }
    UNLOCK_TCPIP_CORE();
    sp_start_result = 0;
}

int sp_host_abort_fd(int fd);

/* test peers: reset lwIP socket fd's TCP connection now (Linux's close with SO_LINGER {1, 0};
 * lwIP sends a reset then only when unsent data is left). 0 when a reset went out */
int sp_host_abort_fd(int fd) {
    int r = -1;
    LOCK_TCPIP_CORE();
    struct lwip_sock *sock = lwip_socket_dbg_get_socket(fd);
    if (sock != NULL && sock->conn != NULL && NETCONNTYPE_GROUP(sock->conn->type) == NETCONN_TCP &&
        sock->conn->pcb.tcp != NULL && sock->conn->pcb.tcp->state != LISTEN) {
        tcp_abort(sock->conn->pcb.tcp); /* its error callback detaches the netconn */
        r = 0;
    }
    UNLOCK_TCPIP_CORE();
    return r;
}

int sp_host_connect(sp_sock_t *s, const char *ip, int port, int wait_ms);

/* the Python driver's connect: sp_connect, then (when under way) one sp_poll for POLLOUT of at
 * most wait_ms, in one call without the GIL. A core that learns of the finished handshake only
 * by looking (the BSD-socket core: lwIP's socket API forgets it once a reset follows) then sees
 * it before a test peer's Python thread can accept and reset. Returns sp_connect's result. */
int sp_host_connect(sp_sock_t *s, const char *ip, int port, int wait_ms) {
    int r = sp_connect(s, ip, port);
    if (r == -SP_EINPROGRESS && wait_ms > 0) {
        sp_poll(s, SP_POLLOUT, wait_ms);
    }
    return r;
}

/* start lwIP and the loopback netif once per process; 0 when ready */
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
