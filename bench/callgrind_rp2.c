/*
 * callgrind_rp2.c - receive N MiB over host lwIP's loopback, either through the Pico W core
 * (sp_recv_into on a core socket: "engine") or through minimal direct raw-API code ("raw": a
 * tcp_recv callback that queues pbufs, a reader that copies them out and calls tcp_recved).
 * Both modes share the sender (a raw-API PCB driven by its tcp_sent callback in lwIP's thread)
 * and the waiting (sp_port.h's wake counter). Callgrind counts instructions only between the
 * CALLGRIND_TOGGLE_COLLECT marks: the transfer, not the set-up. Run by bench_callgrind_rp2.py.
 *
 *   callgrind_rp2 engine|raw MiB
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valgrind/callgrind.h>

#include "lwip/pbuf.h"
#include "lwip/tcp.h"

#include "sp_engine.h"
#include "sp_port.h"

int sp_host_start(void);

#define PORT 7777
#define BUF 65536

static uint8_t out_data[BUF];
static uint8_t in_buf[BUF];

/* --- the sender: writes until `total` bytes are queued, refilling from tcp_sent --- */
static struct {
    struct tcp_pcb *pcb;
    size_t total, queued;
    int connected;
} tx;

static void tx_fill(struct tcp_pcb *pcb) {
    while (tx.queued < tx.total) {
        size_t room = tcp_sndbuf(pcb);
        size_t n = tx.total - tx.queued;
        n = n < room ? n : room;
        n = n < BUF ? n : BUF;
        if (n == 0 || tcp_write(pcb, out_data, (u16_t)n, 0) != ERR_OK) {
            break;
        }
        tx.queued += n;
    }
    tcp_output(pcb);
}

static err_t tx_sent(void *arg, struct tcp_pcb *pcb, u16_t len) {
    (void)arg;
    (void)len;
    tx_fill(pcb);
    return ERR_OK;
}

static err_t tx_connected(void *arg, struct tcp_pcb *pcb, err_t err) {
    (void)arg;
    (void)err;
    tx.connected = 1;
    sp_wake();
    (void)pcb;
    return ERR_OK;
}

static void tx_start(void) {
    ip_addr_t lo;
    IP_ADDR4(&lo, 127, 0, 0, 1);
    sp_lock();
    tx.pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    tcp_sent(tx.pcb, tx_sent);
    tcp_connect(tx.pcb, &lo, PORT, tx_connected);
    sp_unlock();
}

/* wait (bounded) until cond() holds */
static int wait_for(int (*cond)(void)) {
    for (int i = 0; i < 200; i++) {
        sp_lock();
        uint32_t seen = sp_wake_count();
        int ok = cond();
        sp_unlock();
        if (ok) {
            return 1;
        }
        sp_wait(seen, 50);
    }
    return 0;
}

static int is_connected(void) {
    return tx.connected;
}

/* --- raw mode: the receiver's own pbuf queue --- */
static struct {
    struct tcp_pcb *pcb;
    struct pbuf *head, *tail;
    uint16_t off;
} rx;

static err_t rx_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
    (void)arg;
    (void)pcb;
    (void)err;
    if (p != NULL) {
        struct pbuf *last = p;
        while (last->next) {
            last = last->next;
        }
        if (rx.head == NULL) {
            rx.head = p;
        } else {
            rx.tail->next = p;
        }
        rx.tail = last;
    }
    sp_wake();
    return ERR_OK;
}

static err_t rx_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
    (void)arg;
    (void)err;
    rx.pcb = pcb;
    tcp_recv(pcb, rx_recv);
    sp_wake();
    return ERR_OK;
}

static int rx_accepted(void) {
    return rx.pcb != NULL;
}

static size_t raw_receive(size_t total) {
    size_t got = 0;
    while (got < total) {
        sp_lock();
        uint32_t seen = sp_wake_count();
        size_t n = 0;
        while (n < BUF && rx.head != NULL) {
            struct pbuf *p = rx.head;
            size_t c = (size_t)(p->len - rx.off);
            c = c < BUF - n ? c : BUF - n;
            memcpy(in_buf + n, (uint8_t *)p->payload + rx.off, c);
            n += c;
            rx.off = (uint16_t)(rx.off + c);
            if (rx.off == p->len) {
                rx.head = p->next;
                p->next = NULL;
                pbuf_free(p);
                rx.off = 0;
            }
        }
        if (n > 0) {
            tcp_recved(rx.pcb, (u16_t)n);
        }
        sp_unlock();
        if (n == 0) {
            sp_wait(seen, 100);
        }
        got += n;
    }
    return got;
}

static size_t engine_receive(sp_sock_t *s, size_t total) {
    size_t got = 0;
    while (got < total) {
        int r = sp_recv_into(s, in_buf, BUF);
        if (r == -SP_EAGAIN) {
            sp_poll(s, SP_POLLIN, 100);
            continue;
        }
        if (r <= 0) {
            break;
        }
        got += (size_t)r;
    }
    return got;
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[1], "engine") && strcmp(argv[1], "raw"))) {
        fprintf(stderr, "usage: %s engine|raw MiB\n", argv[0]);
        return 2;
    }
    int engine = strcmp(argv[1], "engine") == 0;
    tx.total = (size_t)atoi(argv[2]) << 20;
    if (sp_host_start() != 0) {
        return 1;
    }
    sp_sock_t *l = NULL, *s = NULL;
    struct tcp_pcb *raw_listener = NULL;
    if (engine) {
        if (sp_socket(2, 1, 0, &l) || sp_bind(l, "127.0.0.1", PORT) || sp_listen(l, 1)) {
            return 1;
        }
    } else {
        ip_addr_t lo;
        IP_ADDR4(&lo, 127, 0, 0, 1);
        sp_lock();
        struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
        tcp_bind(pcb, &lo, PORT);
        raw_listener = tcp_listen(pcb);
        tcp_accept(raw_listener, rx_accept);
        sp_unlock();
    }
    tx_start();
    if (!wait_for(is_connected)) {
        return 1;
    }
    if (engine) {
        char ip[SP_IPSTR_LEN];
        int port;
        sp_poll(l, SP_POLLIN, 5000);
        if (sp_accept(l, &s, ip, &port) != 0) {
            return 1;
        }
    } else if (!wait_for(rx_accepted)) {
        return 1;
    }
    CALLGRIND_TOGGLE_COLLECT;
    sp_lock();
    tx_fill(tx.pcb);
    sp_unlock();
    size_t got = engine ? engine_receive(s, tx.total) : raw_receive(tx.total);
    CALLGRIND_TOGGLE_COLLECT;
    printf("%s received %zu bytes\n", argv[1], got);
    return got == tx.total ? 0 : 1;
}
