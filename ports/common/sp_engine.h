/*
 * sp_engine.h - the C face of a native socketpool engine core.
 *
 * Each native core (ports/esp32: lwIP BSD sockets; ports/rp2040_cyw43: lwIP raw API) implements
 * exactly these functions in plain C over lwIP, with no MicroPython headers. Two thin front ends
 * drive a core: the MicroPython binding (ports/common/modsocketpool.c, module `_socketpool`,
 * docs/engine-interface.md) and, for
 * CI, a shared library built on the host against Debian's liblwip-dev and loaded from CPython.
 *
 * Conventions (mirror docs/engine-interface.md):
 *  - numbers are lwIP's/CircuitPython's, named below (SP_AF_INET 2, SP_SOCK_DGRAM 2,
 *    SP_SOL_SOCKET 0xfff, ...); never a bare literal in a core or the binding
 *  - every call is non-blocking except sp_poll(), which waits at most timeout_ms;
 *  - results are >= 0 on success, or -SP_Exxx (portable codes below) on failure. Each front end
 *    maps SP_Exxx to its interpreter's errno with one table (sp_errno.c gives the names).
 */
#ifndef SP_ENGINE_H
#define SP_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "sp_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* portable error codes, returned negated */
enum sp_err {
    SP_OK = 0,
    SP_EAGAIN = 1,
    SP_EINPROGRESS,
    SP_EALREADY,
    SP_EISCONN,
    SP_ENOTCONN,
    SP_ECONNREFUSED,
    SP_ECONNRESET,
    SP_ECONNABORTED,
    SP_EPIPE,
    SP_EBADF,
    SP_EINVAL,
    SP_EADDRINUSE,
    SP_EADDRNOTAVAIL,
    SP_EHOSTUNREACH,
    SP_ENETUNREACH,
    SP_EMSGSIZE,
    SP_ENOPROTOOPT,
    SP_EOPNOTSUPP,
    SP_ENOMEM,
    SP_ENOBUFS,
    SP_ETIMEDOUT,
    SP_EAFNOSUPPORT,
    SP_EPERM,
    SP_EIO,
    SP_EACCES,
    SP_E_COUNT
};

/* the interface's numbers: lwIP's and CircuitPython's (docs/engine-interface.md). The cores and
 * the binding name them; a core translates to its stack where the stack's differ */
#define SP_AF_UNSPEC 0
#define SP_AF_INET 2
#define SP_AF_INET6 10

#define SP_SOCK_STREAM 1
#define SP_SOCK_DGRAM 2
#define SP_SOCK_RAW 3

#define SP_IPPROTO_IP 0
#define SP_IPPROTO_ICMP 1
#define SP_IPPROTO_TCP 6
#define SP_IPPROTO_UDP 17
#define SP_IPPROTO_IPV6 41
#define SP_IPPROTO_RAW 255

/* setsockopt levels and options */
#define SP_SOL_SOCKET 0xfff
#define SP_SO_REUSEADDR 0x0004
#define SP_SO_KEEPALIVE 0x0008
#define SP_SO_BROADCAST 0x0020
#define SP_SO_LINGER 0x0080
#define SP_TCP_NODELAY 0x01
#define SP_TCP_KEEPIDLE 0x03
#define SP_TCP_KEEPINTVL 0x04
#define SP_TCP_KEEPCNT 0x05
#define SP_IP_TOS 1
#define SP_IP_TTL 2
#define SP_IP_ADD_MEMBERSHIP 3
#define SP_IP_DROP_MEMBERSHIP 4
#define SP_IP_MULTICAST_TTL 5
#define SP_IP_MULTICAST_LOOP 7

/* largest port number */
#define SP_PORT_MAX 0xffff

/* engine poll bits (Linux/MicroPython values) */
#define SP_POLLIN 0x01
#define SP_POLLOUT 0x04
#define SP_POLLERR 0x08
#define SP_POLLHUP 0x10

/* longest numeric address string, with its NUL ("ffff:...:255.255.255.255") */
#define SP_IPSTR_LEN 48

typedef struct sp_sock sp_sock_t;

/* "EAGAIN" for SP_EAGAIN, ...; "EIO" for anything unknown */
const char *sp_errname(int code);

/* engine facts */
int sp_max_slots(void);     /* socket slots the pool owns */
int sp_has_ipv6(void);
int sp_has_raw(void);

/* sockets */
int sp_socket(int family, int type, int proto, sp_sock_t **out);
int sp_bind(sp_sock_t *s, const char *ip, int port);
int sp_listen(sp_sock_t *s, int backlog);
/* on success *out is the accepted socket and ip/port its peer */
int sp_accept(sp_sock_t *s, sp_sock_t **out, char ip[SP_IPSTR_LEN], int *port);
int sp_connect(sp_sock_t *s, const char *ip, int port);
int sp_connect_result(sp_sock_t *s);
int sp_recv_into(sp_sock_t *s, uint8_t *buf, size_t len);
int sp_recvfrom_into(sp_sock_t *s, uint8_t *buf, size_t len, char ip[SP_IPSTR_LEN], int *port);
int sp_send(sp_sock_t *s, const uint8_t *data, size_t len);
int sp_sendto(sp_sock_t *s, const uint8_t *data, size_t len, const char *ip, int port);
/* value: an int option is passed as a 4-byte native int (len 4); anything else as bytes */
int sp_setsockopt(sp_sock_t *s, int level, int opt, const void *value, size_t len);
int sp_poll(sp_sock_t *s, int events, int timeout_ms);
/* Threads: any call may run while another thread is inside a call on the same socket (one
 * sends, one receives, one closes). sp_close(s) closes: graceful TCP close (abort after a bounded
 * linger), a call waiting on s in another thread ends within SP_WAIT_SLICE_MS, every later call
 * on s is -SP_EBADF (sp_poll: POLLERR | POLLHUP). s itself stays valid until sp_free(s), which
 * closes it first if needed; call sp_free only when no call on s can run or start (the front
 * end's finaliser). */
void sp_close(sp_sock_t *s);
void sp_free(sp_sock_t *s);

#ifdef __cplusplus
}
#endif

#endif
