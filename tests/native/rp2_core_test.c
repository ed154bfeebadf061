/*
 * rp2_core_test.c - the Pico W raw-API core (ports/rp2040_cyw43/sp_core_rp2.c) driven through
 * the shared C face (ports/common/sp_engine.h) on host lwIP, both ends of every connection being
 * core sockets. Built and run by tests/native/test_rp2_core.py, also under ASan + UBSan.
 *
 * Each case prints "ok <name>" or "FAIL <name>: <why>" and the exit status counts failures.
 * Every wait is bounded by sp_poll's timeout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sp_engine.h"
#include "sp_core_rp2.h"

int sp_host_start(void);

static int failures;
static const char *current;

#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            printf("FAIL %s: line %d: %s\n", current, __LINE__, #cond); \
            failures++; \
            return; \
        } \
    } while (0)

#define EQ(got, want) \
    do { \
        long g_ = (long)(got), w_ = (long)(want); \
        if (g_ != w_) { \
            printf("FAIL %s: line %d: %s == %ld, want %ld (%s)\n", current, __LINE__, #got, g_, w_, \
                g_ < 0 ? sp_errname((int)-g_) : ""); \
            failures++; \
            return; \
        } \
    } while (0)

static int next_port = 30000;

static sp_sock_t *tcp(void) {
    sp_sock_t *s = NULL;
    return sp_socket(2, 1, 0, &s) == 0 ? s : NULL;
}

static sp_sock_t *udp(void) {
    sp_sock_t *s = NULL;
    return sp_socket(2, 2, 0, &s) == 0 ? s : NULL;
}

/* a listener on 127.0.0.1 with the given backlog; *port gets its port */
static sp_sock_t *listener(int backlog, int *port) {
    sp_sock_t *l = tcp();
    if (l == NULL) {
        return NULL;
    }
    for (int i = 0; i < 200; i++) {
        *port = next_port++;
        if (sp_bind(l, "127.0.0.1", *port) == 0) {
            if (sp_listen(l, backlog) == 0) {
                return l;
            }
            break;
        }
    }
    sp_free(l);
    return NULL;
}

/* connect c to port, waiting at most 2 s; 0 or -SP_E* */
static int connect_wait(sp_sock_t *c, int port) {
    int r = sp_connect(c, "127.0.0.1", port);
    if (r != -SP_EINPROGRESS) {
        return r;
    }
    sp_poll(c, SP_POLLOUT, 2000);
    return sp_connect_result(c);
}

static sp_sock_t *accept_wait(sp_sock_t *l, char *ip, int *port) {
    sp_sock_t *a = NULL;
    if (sp_poll(l, SP_POLLIN, 2000) & SP_POLLIN) {
        sp_accept(l, &a, ip, port);
    }
    return a;
}

/* a connected pair: *client and *server */
static int pair(sp_sock_t **client, sp_sock_t **server) {
    int port;
    char ip[SP_IPSTR_LEN];
    int peer_port;
    sp_sock_t *l = listener(1, &port);
    *client = tcp();
    *server = NULL;
    if (l == NULL || *client == NULL || connect_wait(*client, port) != 0) {
        if (l) sp_free(l);
        return -1;
    }
    *server = accept_wait(l, ip, &peer_port);
    sp_free(l);
    return *server ? 0 : -1;
}

/* read up to want bytes, waiting in slices; returns bytes read (stops at end of stream) */
static size_t read_all(sp_sock_t *s, uint8_t *buf, size_t want) {
    size_t got = 0;
    for (int i = 0; i < 2000 && got < want; i++) {
        int r = sp_recv_into(s, buf + got, want - got);
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

static void test_ipv6_and_raw_are_refused(void) {
    sp_sock_t *s = NULL;
    EQ(sp_socket(10, 1, 0, &s), -SP_EAFNOSUPPORT);
    CHECK(s == NULL);
    EQ(sp_socket(2, 3, 1, &s), -SP_EOPNOTSUPP);
    EQ(sp_has_ipv6(), 0);
    EQ(sp_has_raw(), 0);
}

static void test_round_trip_and_peer_address(void) {
    int port, peer_port = 0;
    char ip[SP_IPSTR_LEN];
    uint8_t buf[16];
    sp_sock_t *l = listener(2, &port);
    sp_sock_t *c = tcp();
    CHECK(l && c);
    EQ(sp_connect(c, "127.0.0.1", port), -SP_EINPROGRESS);
    int r = sp_connect(c, "127.0.0.1", port);
    CHECK(r == -SP_EALREADY || r == -SP_EISCONN);
    sp_poll(c, SP_POLLOUT, 2000);
    EQ(sp_connect_result(c), 0);
    EQ(sp_connect(c, "127.0.0.1", port), -SP_EISCONN);
    sp_sock_t *a = accept_wait(l, ip, &peer_port);
    CHECK(a != NULL);
    CHECK(strcmp(ip, "127.0.0.1") == 0 && peer_port > 0);
    EQ(sp_send(c, (const uint8_t *)"ping", 4), 4);
    EQ(read_all(a, buf, 4), 4);
    CHECK(memcmp(buf, "ping", 4) == 0);
    EQ(sp_send(a, (const uint8_t *)"pong", 4), 4);
    sp_poll(c, SP_POLLIN, 2000);
    EQ(sp_recvfrom_into(c, buf, sizeof buf, ip, &peer_port), 4);
    EQ(peer_port, port);
    sp_free(c);
    sp_poll(a, SP_POLLIN, 2000);
    EQ(sp_recv_into(a, buf, sizeof buf), 0); /* end of stream, every time */
    EQ(sp_recv_into(a, buf, sizeof buf), 0);
    sp_free(a);
    sp_free(l);
}

/* 1 MiB through a 64 KiB window: recv_into must reopen it with tcp_recved, gathering pbufs */
static void test_bulk_transfer_reopens_the_window(void) {
    sp_sock_t *c, *a;
    CHECK(pair(&c, &a) == 0);
    const size_t total = 1 << 20;
    uint8_t *out = malloc(total), *in = malloc(total);
    CHECK(out && in);
    for (size_t i = 0; i < total; i++) {
        out[i] = (uint8_t)(i * 7 + (i >> 11));
    }
    size_t sent = 0, got = 0;
    int biggest = 0;
    for (int i = 0; i < 20000 && got < total; i++) {
        if (sent < total) {
            int r = sp_send(c, out + sent, total - sent);
            if (r > 0) {
                sent += (size_t)r;
            } else {
                CHECK(r == -SP_EAGAIN);
            }
        }
        int r = sp_recv_into(a, in + got, total - got);
        if (r > 0) {
            got += (size_t)r;
            biggest = r > biggest ? r : biggest;
        } else if (r == -SP_EAGAIN) {
            sp_poll(a, SP_POLLIN, 10);
        } else {
            CHECK(r > 0 || r == -SP_EAGAIN);
        }
    }
    EQ(got, total);
    CHECK(memcmp(in, out, total) == 0);
    CHECK(biggest > 1460); /* one call gathered more than one segment */
    free(out);
    free(in);
    sp_free(c);
    sp_free(a);
}

static void test_recv_gathers_all_queued_segments(void) {
    sp_sock_t *c, *a;
    uint8_t buf[4096];
    CHECK(pair(&c, &a) == 0);
    int one = 1;
    EQ(sp_setsockopt(c, 6, 1, &one, sizeof one), 0); /* TCP_NODELAY: one segment per send */
    for (int i = 0; i < 8; i++) {
        uint8_t part[50];
        memset(part, '0' + i, sizeof part);
        EQ(sp_send(c, part, sizeof part), 50);
        sp_poll(a, SP_POLLIN, 50); /* let each segment arrive on its own */
    }
    usleep(200000); /* until all 400 bytes are queued (poll returns at once once any are) */
    EQ(sp_recv_into(a, buf, 120), 120);
    EQ(sp_recv_into(a, buf + 120, sizeof buf - 120), 280);
    for (int i = 0; i < 400; i++) {
        CHECK(buf[i] == '0' + i / 50);
    }
    sp_free(c);
    sp_free(a);
}

static void test_connect_to_closed_port_is_refused(void) {
    sp_sock_t *c = tcp();
    CHECK(c != NULL);
    EQ(connect_wait(c, 9), -SP_ECONNREFUSED);
    sp_sock_t *d = tcp();
    CHECK(d != NULL);
    EQ(sp_connect(d, "127.0.0.1", 9), -SP_EINPROGRESS);
    CHECK(sp_poll(d, SP_POLLOUT, 2000) & SP_POLLOUT);
    EQ(sp_connect(d, "127.0.0.1", 9), -SP_ECONNREFUSED); /* the next connect tells the outcome */
    EQ(sp_recv_into(d, (uint8_t *)"", 0), -SP_ENOTCONN);
    EQ(sp_connect_result(c), -SP_ECONNREFUSED); /* it keeps saying so until the next connect */
    EQ(sp_connect(c, "127.0.0.1", 9), -SP_ECONNREFUSED); /* which reports it once more */
    EQ(sp_connect(c, "255.255.255.255", 9), -SP_EHOSTUNREACH); /* and then tries again */
    sp_free(c);
    sp_free(d);
}

/* backlog 1: one connection queues, the next is refused with a reset, nothing leaks */
static void test_accept_queue_overflow_is_refused_cleanly(void) {
    int port, pp;
    char ip[SP_IPSTR_LEN];
    uint8_t buf[8];
    sp_sock_t *l = listener(1, &port);
    sp_sock_t *c1 = tcp(), *c2 = tcp();
    CHECK(l && c1 && c2);
    EQ(connect_wait(c1, port), 0);
    for (int i = 0; i < 20; i++) { /* the first one is queued */
        if (sp_poll(l, SP_POLLIN, 100)) {
            break;
        }
    }
    EQ(sp_send(c1, (const uint8_t *)"early", 5), 5); /* data before accept() is kept */
    EQ(connect_wait(c2, port), 0); /* lwIP completes the handshake, then the core resets it */
    int r = -SP_EAGAIN;
    for (int i = 0; i < 40 && r == -SP_EAGAIN; i++) {
        sp_poll(c2, SP_POLLIN, 50);
        r = sp_recv_into(c2, buf, sizeof buf);
    }
    EQ(r, -SP_ECONNRESET);
    EQ(sp_recv_into(c2, buf, sizeof buf), -SP_ECONNRESET); /* latched */
    EQ(sp_send(c2, buf, 1), -SP_ECONNRESET);
    CHECK(sp_poll(c2, SP_POLLIN, 0) & (SP_POLLERR | SP_POLLHUP));
    sp_sock_t *a = accept_wait(l, ip, &pp);
    CHECK(a != NULL);
    EQ(read_all(a, buf, 5), 5);
    CHECK(memcmp(buf, "early", 5) == 0);
    sp_sock_t *none = NULL;
    EQ(sp_accept(l, &none, ip, &pp), -SP_EAGAIN);
    sp_free(a);
    sp_free(c1);
    sp_free(c2);
    sp_free(l);
}

static void test_udp_queues_four_datagrams_with_sources(void) {
    sp_sock_t *r = udp(), *s1 = udp(), *s2 = udp();
    char ip[SP_IPSTR_LEN];
    int port = 0, rport = next_port++, p1 = next_port++;
    uint8_t buf[64];
    CHECK(r && s1 && s2);
    EQ(sp_bind(r, "127.0.0.1", rport), 0);
    EQ(sp_bind(s1, "127.0.0.1", p1), 0);
    EQ(sp_send(s2, (const uint8_t *)"x", 1), -SP_EPIPE); /* not connected */
    for (int i = 0; i < 6; i++) {
        char msg[32];
        int n = snprintf(msg, sizeof msg, "datagram %d", i);
        EQ(sp_sendto(i % 2 ? s2 : s1, (const uint8_t *)msg, (size_t)n, "127.0.0.1", rport), n);
    }
    usleep(300000); /* all six delivered (poll would return at once once the first is there) */
    for (int i = 0; i < 4; i++) {
        char want[32];
        int n = snprintf(want, sizeof want, "datagram %d", i);
        EQ(sp_recvfrom_into(r, buf, sizeof buf, ip, &port), n);
        CHECK(memcmp(buf, want, (size_t)n) == 0);
        CHECK(strcmp(ip, "127.0.0.1") == 0);
        if (i % 2 == 0) {
            EQ(port, p1);
        }
    }
    /* the queue held 4; the rest were dropped as a full socket buffer drops them */
    EQ(sp_recvfrom_into(r, buf, sizeof buf, ip, &port), -SP_EAGAIN);
    /* a datagram is cut to the buffer and the rest of it dropped */
    EQ(sp_sendto(s1, (const uint8_t *)"abcdefgh", 8, "127.0.0.1", rport), 8);
    EQ(sp_sendto(s1, (const uint8_t *)"next", 4, "127.0.0.1", rport), 4);
    sp_poll(r, SP_POLLIN, 1000);
    EQ(sp_recv_into(r, buf, 3), 3);
    CHECK(memcmp(buf, "abc", 3) == 0);
    sp_poll(r, SP_POLLIN, 1000);
    EQ(sp_recv_into(r, buf, sizeof buf), 4);
    uint8_t *big = calloc(1, 70000);
    CHECK(big != NULL);
    EQ(sp_sendto(s1, big, 65508, "127.0.0.1", rport), -SP_EMSGSIZE);
    free(big);
    sp_free(r);
    sp_free(s1);
    sp_free(s2);
}

/* a peer that reads nothing: a non-blocking sender meets EAGAIN, never blocks */
static void test_full_send_buffer_says_eagain(void) {
    sp_sock_t *c, *a;
    CHECK(pair(&c, &a) == 0);
    static uint8_t chunk[16384];
    size_t sent = 0;
    int stuck = 0;
    for (int i = 0; i < 2000 && !stuck; i++) {
        int r = sp_send(c, chunk, sizeof chunk);
        if (r > 0) {
            sent += (size_t)r;
            continue;
        }
        EQ(r, -SP_EAGAIN); /* never blocks, never fails */
        /* in-flight data may still be acknowledged into the peer's window: wait for that */
        stuck = sp_poll(c, SP_POLLOUT, 200) == 0;
    }
    CHECK(stuck); /* with nothing draining, the sender stays not writable */
    CHECK(sent > 0);
    /* draining makes it writable again */
    static uint8_t sink[65536];
    for (int i = 0; i < 200; i++) {
        sp_recv_into(a, sink, sizeof sink);
        if (sp_poll(c, SP_POLLOUT, 10)) {
            break;
        }
    }
    CHECK(sp_poll(c, SP_POLLOUT, 0) & SP_POLLOUT);
    sp_free(c);
    sp_free(a);
}

static void test_linger_zero_close_resets_the_peer(void) {
    sp_sock_t *c, *a;
    uint8_t buf[8];
    CHECK(pair(&c, &a) == 0);
    int lin[2] = {1, 0};
    EQ(sp_setsockopt(a, 0xfff, 0x80, lin, sizeof lin), 0);
    sp_free(a);
    sp_poll(c, SP_POLLIN, 2000);
    EQ(sp_recv_into(c, buf, sizeof buf), -SP_ECONNRESET);
    EQ(sp_connect_result(c), 0); /* it did connect */
    sp_free(c);
}

/* close() with a peer that never closes its side: FIN first, then an abort after the linger */
static void test_close_aborts_after_a_bounded_linger(void) {
    sp_sock_t *c, *a;
    uint8_t buf[8];
    CHECK(pair(&c, &a) == 0);
    sp_free(c); /* graceful: a FIN */
    sp_poll(a, SP_POLLIN, 2000);
    EQ(sp_recv_into(a, buf, sizeof buf), 0); /* a sees the end of stream */
    /* a never closes and sends nothing (data would be answered with a reset at once, as Linux
     * does for a closed socket): c lingers in FIN_WAIT_2 until its linger poll aborts it */
    int m = 0;
    for (int i = 0; i < 100 && !(m & SP_POLLERR); i++) {
        m = sp_poll(a, SP_POLLIN, 100);
        if (!(m & SP_POLLERR)) {
            usleep(100000); /* POLLIN is ready (end of stream): poll returns at once */
        }
    }
    CHECK(m & SP_POLLERR);
    EQ(sp_send(a, (const uint8_t *)"x", 1), -SP_ECONNRESET);
    EQ(sp_recv_into(a, buf, sizeof buf), 0); /* after its FIN, the stream stays ended */
    sp_free(a);
}

static void test_options_and_errors_without_a_connection(void) {
    sp_sock_t *s = tcp(), *u = udp();
    int one = 1;
    uint8_t buf[4];
    CHECK(s && u);
    EQ(sp_setsockopt(s, 0xfff, 4, &one, sizeof one), 0);
    EQ(sp_setsockopt(s, 6, 1, &one, sizeof one), 0);
    EQ(sp_setsockopt(s, 0, 5, &one, sizeof one), 0);
    EQ(sp_setsockopt(u, 0, 5, &one, sizeof one), 0);
    EQ(sp_setsockopt(u, 6, 1, &one, sizeof one), -SP_ENOPROTOOPT);
    EQ(sp_setsockopt(s, 0x7777, 1, &one, sizeof one), -SP_ENOPROTOOPT);
    EQ(sp_recv_into(s, buf, sizeof buf), -SP_ENOTCONN);
    EQ(sp_send(s, buf, 1), -SP_EPIPE);
    EQ(sp_connect_result(s), -SP_ENOTCONN);
    sp_sock_t *none = NULL;
    char ip[SP_IPSTR_LEN];
    int port;
    EQ(sp_accept(s, &none, ip, &port), -SP_EINVAL);
    EQ(sp_listen(u, 1), -SP_EOPNOTSUPP);
    EQ(sp_bind(s, "not an ip", 1), -SP_EINVAL);
    int p = next_port++;
    EQ(sp_bind(s, "127.0.0.1", p), 0);
    EQ(sp_bind(s, "127.0.0.1", p), -SP_EINVAL); /* already bound */
    sp_sock_t *t = tcp();
    CHECK(t != NULL);
    EQ(sp_bind(t, "127.0.0.1", p), -SP_EADDRINUSE); /* SO_REUSEADDR is never implied */
    EQ(sp_poll(s, SP_POLLIN, 0), 0);
    sp_free(t);
    sp_free(s);
    sp_free(u);
}

static void test_closing_listener_with_pending_connections_frees_them(void) {
    int port;
    sp_sock_t *l = listener(4, &port);
    sp_sock_t *c[3];
    CHECK(l != NULL);
    for (int i = 0; i < 3; i++) {
        c[i] = tcp();
        CHECK(c[i] != NULL);
        EQ(connect_wait(c[i], port), 0);
        EQ(sp_send(c[i], (const uint8_t *)"queued", 6), 6);
    }
    for (int i = 0; i < 10; i++) {
        sp_poll(l, SP_POLLIN, 20);
    }
    sp_free(l); /* the pending ones are reset; their queued pbufs freed (ASan checks) */
    for (int i = 0; i < 3; i++) {
        uint8_t buf[4];
        int r = -SP_EAGAIN;
        for (int j = 0; j < 40 && r == -SP_EAGAIN; j++) {
            sp_poll(c[i], SP_POLLIN, 50);
            r = sp_recv_into(c[i], buf, sizeof buf);
        }
        EQ(r, -SP_ECONNRESET);
        sp_free(c[i]);
    }
}

#define RUN(fn) \
    do { \
        current = #fn; \
        int before = failures, open_before = sp_rp2_open_count(); \
        fn(); \
        if (failures == before) { \
            printf("ok %s\n", #fn); \
        } \
        if (failures == before && sp_rp2_open_count() != open_before) { \
            printf("FAIL %s: %d socket(s) left open\n", #fn, sp_rp2_open_count() - open_before); \
            failures++; \
        } \
    } while (0)

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (sp_host_start() != 0) {
        printf("FAIL start: lwIP did not start\n");
        return 1;
    }
    RUN(test_ipv6_and_raw_are_refused);
    RUN(test_round_trip_and_peer_address);
    RUN(test_bulk_transfer_reopens_the_window);
    RUN(test_recv_gathers_all_queued_segments);
    RUN(test_connect_to_closed_port_is_refused);
    RUN(test_accept_queue_overflow_is_refused_cleanly);
    RUN(test_udp_queues_four_datagrams_with_sources);
    RUN(test_full_send_buffer_says_eagain);
    RUN(test_linger_zero_close_resets_the_peer);
    RUN(test_close_aborts_after_a_bounded_linger);
    RUN(test_options_and_errors_without_a_connection);
    RUN(test_closing_listener_with_pending_connections_frees_them);
    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
