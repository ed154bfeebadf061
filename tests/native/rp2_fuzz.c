/*
 * rp2_fuzz.c - random call sequences and arguments through the Pico W core's C face
 * (sp_engine.h) on host lwIP, under AddressSanitizer + UndefinedBehaviorSanitizer.
 *
 * One input is a byte string read as a program: each step picks an operation and its arguments
 * (socket slot, port, sizes, option numbers and values) on a small table of sockets, so sockets
 * really connect, accept, exchange data, reset and close among themselves. After each input
 * every socket is closed and the core must report none open.
 *
 * Built two ways by tests/native/test_rp2_core.py:
 *   clang -fsanitize=fuzzer,address,undefined ...   libFuzzer (coverage-guided, bounded time)
 *   cc -DSP_FUZZ_STANDALONE -fsanitize=address,...   a seeded random driver (no clang needed)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_engine.h"
#include "sp_core_rp2.h"

int sp_host_start(void);

#define SLOTS 6
#define PORT_BASE 40000
#define PORTS 3

typedef struct {
    const uint8_t *p;
    size_t n;
} input_t;

static unsigned take(input_t *in) {
    if (in->n == 0) {
        return 0;
    }
    in->n--;
    return *in->p++;
}

static uint8_t buf[70000];
static uint8_t data[70000];

static void run(const uint8_t *bytes, size_t len) {
    static int started;
    if (!started) {
        if (sp_host_start() != 0) {
            abort();
        }
        for (size_t i = 0; i < sizeof data; i++) {
            data[i] = (uint8_t)i;
        }
        started = 1;
    }
    sp_sock_t *t[SLOTS] = {0};
    int open = 0;
    input_t in = {bytes, len};
    char ip[SP_IPSTR_LEN];
    int port;
    for (int step = 0; step < 200 && in.n > 0; step++) {
        unsigned op = take(&in) % 14;
        unsigned i = take(&in) % SLOTS;
        sp_sock_t *s = t[i];
        unsigned a = take(&in), b = take(&in);
        size_t size = (size_t)(a | (b << 8)) % sizeof data;
        if (op != 0 && op != 13 && s == NULL) {
            continue;
        }
        switch (op) {
            case 0: /* socket: stream, datagram, or refused families/types */
                if (s == NULL) {
                    static const int fam[] = {2, 2, 2, 10, 0};
                    static const int typ[] = {1, 2, 1, 1, 3};
                    sp_sock_t *n = NULL;
                    int r = sp_socket(fam[a % 5], typ[b % 5], 0, &n);
                    if (r == 0) {
                        t[i] = n;
                        open++;
                    } else if (n != NULL) {
                        abort(); /* a failed socket() hands out nothing */
                    }
                }
                break;
            case 1:
                sp_bind(s, a & 1 ? "127.0.0.1" : (a & 2 ? "0.0.0.0" : "x.y"), PORT_BASE + (int)(b % PORTS));
                break;
            case 2:
                sp_listen(s, (int)(a % 4) - 1);
                break;
            case 3: {
                unsigned j = b % SLOTS;
                sp_sock_t *n = NULL;
                if (t[j] == NULL && sp_accept(s, &n, ip, &port) == 0) {
                    t[j] = n;
                    open++;
                }
                break;
            }
            case 4:
                sp_connect(s, a & 1 ? "127.0.0.1" : (a & 2 ? "255.255.255.255" : "10.9.8.7"),
                    PORT_BASE + (int)(b % PORTS));
                break;
            case 5:
                sp_connect_result(s);
                break;
            case 6:
                sp_recv_into(s, buf, size);
                break;
            case 7:
                sp_recvfrom_into(s, buf, size, ip, &port);
                break;
            case 8:
                sp_send(s, data, size);
                break;
            case 9:
                sp_sendto(s, data, size, "127.0.0.1", PORT_BASE + (int)(a % PORTS));
                break;
            case 10: { /* options, valid and not, with values of every length */
                static const int lv[][2] = {{0xfff, 4}, {0xfff, 8}, {0xfff, 0x20}, {0xfff, 0x80},
                    {6, 1}, {0, 5}, {0, 3}, {0x7777, 1}};
                int vals[2] = {(int)(b % 3), (int)(b % 2)};
                size_t vlen = (size_t)(a >> 3) % 9;
                sp_setsockopt(s, lv[a % 8][0], lv[a % 8][1], vals, vlen);
                break;
            }
            case 11:
                sp_poll(s, (int)(a & 0x1d), (int)(b % 3));
                break;
            case 12:
                sp_close(s);
                t[i] = NULL;
                open--;
                break;
            case 13: /* let lwIP's thread deliver what is in flight */
                if (s != NULL) {
                    sp_poll(s, SP_POLLIN, 1);
                }
                break;
        }
    }
    for (int i = 0; i < SLOTS; i++) {
        if (t[i] != NULL) {
            sp_close(t[i]);
            open--;
        }
    }
    if (open != 0 || sp_rp2_open_count() != 0) {
        fprintf(stderr, "fuzz: %d socket(s) still open after closing all\n", sp_rp2_open_count());
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t len) {
    run(bytes, len);
    return 0;
}

#ifdef SP_FUZZ_STANDALONE
/* usage: rp2_fuzz [iterations] [seed] */
int main(int argc, char **argv) {
    long iterations = argc > 1 ? atol(argv[1]) : 2000;
    unsigned seed = argc > 2 ? (unsigned)atol(argv[2]) : 1;
    static uint8_t input[1024];
    srand(seed);
    for (long it = 0; it < iterations; it++) {
        size_t len = (size_t)(rand() % (int)sizeof input);
        for (size_t k = 0; k < len; k++) {
            input[k] = (uint8_t)rand();
        }
        run(input, len);
    }
    printf("fuzz: %ld inputs, no crash, no socket left open\n", iterations);
    return 0;
}
#endif
