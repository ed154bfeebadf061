/*
 * sp_selftest.c - a native core's contract duties, checked in C over host lwIP under ASan,
 * UBSan and LeakSanitizer (no CPython in the process, so leak checking stays on).
 *
 * Core-agnostic: only sp_engine.h. Both sides of each connection are the core's own sockets.
 * Exit status 0 when every check passed; each failure prints its line.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sp_engine.h"

int sp_host_start(void);

static int failures;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "sp_selftest.c:%d: check failed: %s\n", __LINE__, #cond); \
            failures++;                                                                \
        }                                                                              \
    } while (0)

#define CHECK_ERR(expr, code)                                                          \
    do {                                                                               \
        int r_ = (expr);                                                               \
        if (r_ != -(code)) {                                                           \
            fprintf(stderr, "sp_selftest.c:%d: %s gave %d (%s), wanted -%s\n", __LINE__, \
                #expr, r_, r_ < 0 ? sp_errname(r_) : "ok", sp_errname(code));          \
            failures++;                                                                \
        }                                                                              \
    } while (0)

/* wait (bounded: 200 slices of 10 ms) until `events` are ready on s */
static int wait_for(sp_sock_t *s, int events) {
    for (int i = 0; i < 200; i++) {
        int r = sp_poll(s, events, 10);
        if (r) {
            return r;
        }
    }
    return 0;
}

static void settle(void) {
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
}

static void tcp_cases(int family, const char *loop, int port) {
    sp_sock_t *l = NULL, *c = NULL, *a = NULL;
    char ip[SP_IPSTR_LEN];
    int peer_port = 0;
    uint8_t buf[256];

    CHECK(sp_socket(family, 1, 0, &l) == 0);
    CHECK(sp_bind(l, loop, port) == 0);
    CHECK_ERR(sp_accept(l, &a, ip, &peer_port), SP_EINVAL); /* not listening */
    CHECK_ERR(sp_recv_into(l, buf, sizeof(buf)), SP_ENOTCONN);
    CHECK(sp_listen(l, 2) == 0);
    CHECK_ERR(sp_accept(l, &a, ip, &peer_port), SP_EAGAIN);
    CHECK_ERR(sp_recv_into(l, buf, sizeof(buf)), SP_ENOTCONN);

    CHECK(sp_socket(family, 1, 0, &c) == 0);
    CHECK_ERR(sp_send(c, (const uint8_t *)"x", 1), SP_EPIPE); /* never connected */
    CHECK_ERR(sp_recv_into(c, buf, sizeof(buf)), SP_ENOTCONN);
    /* never connected: writable (a send fails at once), no POLLHUP, no POLLERR (sp_rules.h) */
    CHECK(sp_poll(c, SP_POLLIN | SP_POLLOUT, 0) == SP_POLLOUT);
    if (family == 2) { /* no route: a connection never goes to a broadcast or group (sp_netif.h) */
        CHECK_ERR(sp_connect(c, "255.255.255.255", 9), SP_EHOSTUNREACH);
        CHECK_ERR(sp_connect(c, "224.0.0.1", 9), SP_EHOSTUNREACH);
        CHECK_ERR(sp_connect(c, "0.0.0.0", 9), SP_EHOSTUNREACH);
    }
    int r = sp_connect(c, loop, port);
    CHECK(r == 0 || r == -SP_EINPROGRESS);
    CHECK(wait_for(c, SP_POLLOUT) & SP_POLLOUT);
    CHECK(sp_connect_result(c) == 0);
    CHECK_ERR(sp_connect(c, loop, port), SP_EISCONN);
    CHECK_ERR(sp_listen(c, 1), SP_EINVAL); /* connected: listen's one error (sp_rules.h) */
    CHECK(wait_for(l, SP_POLLIN) & SP_POLLIN);
    CHECK(sp_accept(l, &a, ip, &peer_port) == 0);
    CHECK(strcmp(ip, loop) == 0);
    CHECK(peer_port > 0);

    /* gathered receive: three sends, one recv takes all that is queued */
    CHECK_ERR(sp_recv_into(a, buf, sizeof(buf)), SP_EAGAIN);
    int one = 1;
    CHECK(sp_setsockopt(c, 6, 1, &one, sizeof(one)) == 0);
    CHECK_ERR(sp_setsockopt(c, 6, 99, &one, sizeof(one)), SP_ENOPROTOOPT);
    CHECK(sp_send(c, (const uint8_t *)"abc", 3) == 3);
    CHECK(sp_send(c, (const uint8_t *)"def", 3) == 3);
    CHECK(sp_send(c, (const uint8_t *)"ghi", 3) == 3);
    settle();
    CHECK(wait_for(a, SP_POLLIN) & SP_POLLIN);
    CHECK(sp_recv_into(a, buf, sizeof(buf)) == 9);
    CHECK(memcmp(buf, "abcdefghi", 9) == 0);

    /* recvfrom on TCP names the peer */
    CHECK(sp_send(a, (const uint8_t *)"zz", 2) == 2);
    CHECK(wait_for(c, SP_POLLIN) & SP_POLLIN);
    CHECK(sp_recvfrom_into(c, buf, sizeof(buf), ip, &peer_port) == 2);
    CHECK(peer_port == port);

    /* end of stream: 0 on every call, and POLLIN */
    sp_free(a);
    a = NULL;
    CHECK(wait_for(c, SP_POLLIN) & SP_POLLIN);
    CHECK(sp_recv_into(c, buf, sizeof(buf)) == 0);
    CHECK(sp_recv_into(c, buf, sizeof(buf)) == 0);
    CHECK(sp_poll(c, SP_POLLIN, 0) & SP_POLLIN);
    sp_free(c);
    c = NULL;

    /* a listener in use */
    sp_sock_t *dup = NULL;
    CHECK(sp_socket(family, 1, 0, &dup) == 0);
    CHECK_ERR(sp_bind(dup, loop, port), SP_EADDRINUSE);
    sp_free(dup);
    sp_free(l);

    /* refused: nobody listens there */
    CHECK(sp_socket(family, 1, 0, &c) == 0);
    r = sp_connect(c, loop, port + 1);
    if (r == -SP_EINPROGRESS) {
        wait_for(c, SP_POLLOUT);
        r = sp_connect_result(c);
    }
    CHECK_ERR(r, SP_ECONNREFUSED);
    CHECK_ERR(sp_connect_result(c), SP_ECONNREFUSED);
    /* a failed connect is ready with POLLERR|POLLHUP; the next connect reports it once more */
    CHECK((sp_poll(c, SP_POLLIN, 0) & (SP_POLLERR | SP_POLLHUP)) == (SP_POLLERR | SP_POLLHUP));
    CHECK_ERR(sp_connect(c, loop, port + 1), SP_ECONNREFUSED);
    CHECK_ERR(sp_connect_result(c), SP_ENOTCONN);
    sp_free(c);
}

static void udp_cases(int family, const char *loop, int port) {
    sp_sock_t *rx = NULL, *tx = NULL;
    char ip[SP_IPSTR_LEN];
    int from = 0;
    uint8_t buf[64];
    static uint8_t big[70000];

    CHECK(sp_socket(family, 2, 0, &rx) == 0);
    CHECK(sp_socket(family, 2, 0, &tx) == 0);
    CHECK(sp_bind(rx, loop, port) == 0);
    CHECK_ERR(sp_listen(rx, 1), SP_EOPNOTSUPP);
    CHECK_ERR(sp_send(tx, (const uint8_t *)"x", 1), SP_EPIPE);
    CHECK_ERR(sp_recvfrom_into(rx, buf, sizeof(buf), ip, &from), SP_EAGAIN);
    /* at least 4 datagrams queued, each delivered whole or cut, one per call */
    for (int i = 0; i < 4; i++) {
        uint8_t d[8];
        memset(d, '0' + i, sizeof(d));
        CHECK(sp_sendto(tx, d, (size_t)(i + 5), loop, port) == i + 5);
    }
    settle();
    for (int i = 0; i < 4; i++) {
        CHECK(wait_for(rx, SP_POLLIN) & SP_POLLIN);
        int n = sp_recvfrom_into(rx, buf, 6, ip, &from);
        CHECK(n == (i == 0 ? 5 : 6));
        CHECK(buf[0] == '0' + i);
        CHECK(strcmp(ip, loop) == 0);
    }
    CHECK_ERR(sp_sendto(tx, big, sizeof(big), loop, port), SP_EMSGSIZE);
    int ttl = 4;
    CHECK(sp_setsockopt(tx, 0, 5, &ttl, sizeof(ttl)) == 0 || family == 10);
    sp_free(rx);
    sp_free(tx);
}

/* ---- close from another thread: the waiting call ends, nothing is used after it is freed ---- */

typedef struct {
    sp_sock_t *s;
    int events;
    volatile int done;
    int ready;
} waiter_t;

static void *wait_long(void *arg) {
    waiter_t *w = arg;
    w->ready = sp_poll(w->s, w->events, 30000); /* one long wait: the core's slices end it */
    __atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* start a 30 s sp_poll on s in a thread, close s from here; the wait must end (bounded check:
 * 500 steps of 10 ms) with POLLERR|POLLHUP, and every later call must be EBADF */
#define close_while_waiting(s, events) close_while_waiting_at(__LINE__, s, events)
static void close_while_waiting_at(int line, sp_sock_t *s, int events) {
    waiter_t w = {s, events, 0, 0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, wait_long, &w) == 0);
    settle();
    if (__atomic_load_n(&w.done, __ATOMIC_SEQ_CST)) { /* it must really wait */
        fprintf(stderr, "sp_selftest.c:%d: the wait ended at once (%d)\n", line, w.ready);
        failures++;
    }
    sp_close(s);
    for (int i = 0; i < 500 && !__atomic_load_n(&w.done, __ATOMIC_SEQ_CST); i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    CHECK(__atomic_load_n(&w.done, __ATOMIC_SEQ_CST));
    if (!__atomic_load_n(&w.done, __ATOMIC_SEQ_CST)) {
        return; /* never free what a thread still uses */
    }
    pthread_join(t, NULL);
    if ((w.ready & (SP_POLLERR | SP_POLLHUP)) != (SP_POLLERR | SP_POLLHUP)) {
        fprintf(stderr, "sp_selftest.c:%d: the wait ended with %d, not POLLERR|POLLHUP\n", line,
            w.ready);
        failures++;
    }
    uint8_t buf[8];
    char ip[SP_IPSTR_LEN];
    int port = 0;
    sp_sock_t *a = NULL;
    CHECK_ERR(sp_recv_into(s, buf, sizeof(buf)), SP_EBADF);
    CHECK_ERR(sp_recvfrom_into(s, buf, sizeof(buf), ip, &port), SP_EBADF);
    CHECK_ERR(sp_send(s, buf, sizeof(buf)), SP_EBADF);
    CHECK_ERR(sp_accept(s, &a, ip, &port), SP_EBADF);
    CHECK_ERR(sp_connect(s, "127.0.0.1", 1), SP_EBADF);
    sp_close(s); /* a second close is nothing */
    sp_free(s);
}

/* a connected TCP pair (c the client, a the accepted end) through listener l */
static void tcp_pair(sp_sock_t *l, int port, sp_sock_t **c, sp_sock_t **a) {
    char ip[SP_IPSTR_LEN];
    int peer_port = 0;
    CHECK(sp_socket(2, 1, 0, c) == 0);
    int r = sp_connect(*c, "127.0.0.1", port);
    CHECK(r == 0 || r == -SP_EINPROGRESS);
    CHECK(wait_for(l, SP_POLLIN) & SP_POLLIN);
    CHECK(sp_accept(l, a, ip, &peer_port) == 0);
    CHECK(wait_for(*c, SP_POLLOUT) & SP_POLLOUT);
}

static void thread_cases(void) {
    sp_sock_t *l = NULL, *c = NULL, *a = NULL, *u = NULL;
    static uint8_t chunk[16384];

    /* accept */
    CHECK(sp_socket(2, 1, 0, &l) == 0);
    CHECK(sp_bind(l, "127.0.0.1", 41040) == 0);
    CHECK(sp_listen(l, 2) == 0);
    close_while_waiting(l, SP_POLLIN);
    CHECK(sp_socket(2, 1, 0, &l) == 0);
    CHECK(sp_bind(l, "127.0.0.1", 41041) == 0);
    CHECK(sp_listen(l, 2) == 0);
    /* recv_into: nothing comes */
    tcp_pair(l, 41041, &c, &a);
    close_while_waiting(c, SP_POLLIN);
    sp_free(a);
    /* a send waiting for room: the peer never reads */
    tcp_pair(l, 41041, &c, &a);
    int sent = 0, r = 0;
    for (int i = 0; i < 1000; i++) { /* until full, as an API layer's sendall would wait */
        r = sp_send(a, chunk, sizeof(chunk));
        if (r == -SP_EAGAIN && sp_poll(a, SP_POLLOUT, 50) == 0) {
            break;
        }
        sent += r > 0 ? r : 0;
    }
    CHECK_ERR(r, SP_EAGAIN);
    CHECK(sent > 0);
    close_while_waiting(a, SP_POLLOUT);
    sp_free(c);
    sp_free(l);
    /* recvfrom_into */
    CHECK(sp_socket(2, 2, 0, &u) == 0);
    CHECK(sp_bind(u, "127.0.0.1", 41042) == 0);
    close_while_waiting(u, SP_POLLIN);
}

int main(void) {
    if (sp_host_start() != 0) {
        fprintf(stderr, "lwIP did not start\n");
        return 2;
    }
    CHECK(strcmp(sp_errname(-SP_ETIMEDOUT), "ETIMEDOUT") == 0);
    CHECK(strcmp(sp_errname(-1000000), "EIO") == 0);
    sp_sock_t *s = NULL;
    CHECK_ERR(sp_socket(7, 1, 0, &s), SP_EAFNOSUPPORT);
    tcp_cases(2, "127.0.0.1", 41000);
    udp_cases(2, "127.0.0.1", 41010);
    if (sp_has_ipv6()) {
        tcp_cases(10, "::1", 41020);
        udp_cases(10, "::1", 41030);
    }
    thread_cases();
    printf("sp_selftest: %d failure(s)\n", failures);
    return failures ? 1 : 0;
}
