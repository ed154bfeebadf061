/*
 * callgrind_esp32.c - one TCP transfer over host lwIP's loopback netif, received either through
 * the ESP32 core (sp_recv_into + sp_poll) or directly with lwip_recv + lwip_poll, the way an
 * application on ESP-IDF would. Only the receiving loop is between CALLGRIND_TOGGLE_COLLECT
 * marks (collection is per thread): the sender thread and set-up are outside both figures.
 *
 *   callgrind_esp32 engine|direct MIB [CHUNK]     (run by bench_callgrind_esp32.py)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/callgrind.h>

#include "lwip/def.h"
#include "lwip/sockets.h"
#include "sp_engine.h"

int sp_host_start(void);

static int listener;
static long total_bytes;

static void *sender(void *arg) {
    (void)arg;
    static char block[16384];
    memset(block, 'x', sizeof(block));
    int c = lwip_accept(listener, NULL, NULL);
    long left = total_bytes;
    while (left > 0) {
        ssize_t n = lwip_send(c, block, left < (long)sizeof(block) ? (size_t)left : sizeof(block), 0);
        if (n <= 0) {
            break;
        }
        left -= n;
    }
    lwip_close(c);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3 || sp_host_start() != 0) {
        fprintf(stderr, "usage: callgrind_esp32 engine|direct MIB [CHUNK]\n");
        return 2;
    }
    int engine = strcmp(argv[1], "engine") == 0;
    total_bytes = atol(argv[2]) * 1024L * 1024L;
    size_t chunk = argc > 3 ? (size_t)atol(argv[3]) : 4096;
    uint8_t *buf = malloc(chunk);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = lwip_htons(42000);
    sa.sin_addr.s_addr = lwip_htonl(0x7f000001);
    listener = lwip_socket(AF_INET, SOCK_STREAM, 0);
    if (buf == NULL || lwip_bind(listener, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        lwip_listen(listener, 1) != 0) {
        return 3;
    }
    pthread_t th;
    long got = 0;
    if (engine) {
        sp_sock_t *s = NULL;
        if (sp_socket(2, 1, 0, &s) != 0) {
            return 4;
        }
        int r = sp_connect(s, "127.0.0.1", 42000);
        while (r == -SP_EINPROGRESS) {
            sp_poll(s, SP_POLLOUT, 100);
            r = sp_connect_result(s);
        }
        pthread_create(&th, NULL, sender, NULL);
        CALLGRIND_TOGGLE_COLLECT;
        for (;;) {
            int n = sp_recv_into(s, buf, chunk);
            if (n > 0) {
                got += n;
            } else if (n == -SP_EAGAIN) {
                sp_poll(s, SP_POLLIN, 100);
            } else {
                break;
            }
        }
        CALLGRIND_TOGGLE_COLLECT;
        sp_free(s);
    } else {
        int fd = lwip_socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || lwip_connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            return 4;
        }
        lwip_fcntl(fd, F_SETFL, O_NONBLOCK);
        pthread_create(&th, NULL, sender, NULL);
        CALLGRIND_TOGGLE_COLLECT;
        for (;;) {
            ssize_t n = lwip_recv(fd, buf, chunk, MSG_DONTWAIT);
            if (n > 0) {
                got += n;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                struct pollfd p = {fd, POLLIN, 0};
                lwip_poll(&p, 1, 100);
            } else {
                break;
            }
        }
        CALLGRIND_TOGGLE_COLLECT;
        lwip_close(fd);
    }
    pthread_join(th, NULL);
    lwip_close(listener);
    free(buf);
    printf("received %ld bytes\n", got);
    return got == total_bytes ? 0 : 5;
}
