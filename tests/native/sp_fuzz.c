/*
 * sp_fuzz.c - libFuzzer harness: random call sequences and arguments through sp_engine.h, on a
 * native core running over host lwIP (built by ports/host/Makefile `fuzz`, with ASan + UBSan;
 * LeakSanitizer checks every input, which must leave nothing open).
 *
 * Each input is a program: one byte picks a call, the next bytes its arguments. Waits are at
 * most 1 ms, so an input runs in bounded time. Every socket still open at the end is closed.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sp_engine.h"

int sp_host_start(void);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SOCKS 6
#define MAX_OPS 64

typedef struct {
    const uint8_t *p;
    size_t n;
} input_t;

static uint8_t next(input_t *in) {
    if (in->n == 0) {
        return 0;
    }
    in->n--;
    return *in->p++;
}

static const char *const ips[] = {
    "127.0.0.1", "::1", "", "0.0.0.0", "::", "255.255.255.255", "224.0.0.1", "127.0.0.2",
    "not an address", "1.2.3", "::ffff:127.0.0.1", "fe80::1",
};
static const int families[] = {2, 10, 7, 0};
static const int types[] = {1, 2, 3, 9};
static const int protos[] = {0, 6, 17, 1, 255, 58};
static const int opts[][2] = {
    {0xfff, 4}, {0xfff, 8}, {0xfff, 0x20}, {0xfff, 0x80}, {6, 1}, {6, 3}, {6, 4}, {6, 5},
    {0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}, {0, 7}, {0xfff, 0x1002}, {41, 26}, {12345, 1},
};

#define PICK(table, b) table[(b) % (sizeof(table) / sizeof(table[0]))]

static uint8_t buf[70000];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int started;
    if (!started) {
        if (sp_host_start() != 0) {
            __builtin_trap();
        }
        memset(buf, 'x', sizeof(buf));
        started = 1;
    }
    sp_sock_t *socks[SOCKS] = {0};
    input_t in = {data, size};
    char ip[SP_IPSTR_LEN];
    int port;
    for (int op = 0; op < MAX_OPS && in.n > 0; op++) {
        uint8_t code = next(&in);
        int i = next(&in) % SOCKS;
        sp_sock_t *s = socks[i];
        if (code % 14 != 0 && s == NULL) {
            continue; /* the API layer never passes a closed socket to an engine */
        }
        switch (code % 14) {
            case 0:
                if (s == NULL) {
                    uint8_t a = next(&in), b = next(&in), c = next(&in);
                    sp_socket(PICK(families, a), PICK(types, b), PICK(protos, c), &socks[i]);
                }
                break;
            case 1: {
                uint8_t a = next(&in), b = next(&in);
                sp_bind(s, PICK(ips, a), b < 200 ? 40000 + b % 4 : b);
                break;
            }
            case 2:
                sp_listen(s, 1 + next(&in) % 8);
                break;
            case 3: {
                sp_sock_t *n = NULL;
                if (sp_accept(s, &n, ip, &port) == 0) {
                    int j;
                    for (j = 0; j < SOCKS && socks[j] != NULL; j++) {
                    }
                    if (j < SOCKS) {
                        socks[j] = n;
                    } else {
                        sp_free(n); /* no slot: as the API layer does */
                    }
                }
                break;
            }
            case 4: {
                uint8_t a = next(&in), b = next(&in);
                sp_connect(s, PICK(ips, a), b < 200 ? 40000 + b % 4 : b);
                break;
            }
            case 5:
                sp_connect_result(s);
                break;
            case 6:
                sp_recv_into(s, buf, (size_t)next(&in) * 17);
                break;
            case 7:
                sp_recvfrom_into(s, buf, (size_t)next(&in) * 17, ip, &port);
                break;
            case 8: {
                uint8_t a = next(&in);
                sp_send(s, buf, a == 255 ? sizeof(buf) : (size_t)a * 31);
                break;
            }
            case 9: {
                uint8_t a = next(&in), b = next(&in), c = next(&in);
                sp_sendto(s, buf, a >= 250 ? sizeof(buf) - (a - 250) * 1000 : (size_t)a * 31,
                    PICK(ips, b), 40000 + c % 4);
                break;
            }
            case 10: {
                uint8_t a = next(&in), len = next(&in) % 10;
                uint8_t value[16];
                for (int k = 0; k < len; k++) {
                    value[k] = next(&in);
                }
                sp_setsockopt(s, PICK(opts, a)[0], PICK(opts, a)[1], value, len);
                break;
            }
            case 11:
            case 12: {
                uint8_t a = next(&in);
                sp_poll(s, a & (SP_POLLIN | SP_POLLOUT | SP_POLLERR | SP_POLLHUP), a >> 7);
                break;
            }
            case 13:
                sp_free(s);
                socks[i] = NULL;
                break;
        }
    }
    for (int i = 0; i < SOCKS; i++) {
        if (socks[i] != NULL) {
            sp_free(socks[i]);
        }
    }
    return 0;
}
