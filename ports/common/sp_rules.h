/*
 * sp_rules.h - the contract's rules for a native engine's socket, written once for both cores.
 *
 * A core (ports/esp32 over lwIP's BSD sockets, ports/rp2040_cyw43 over lwIP's raw API) only
 * records facts from its stack in an sp_conn_t (a connect started, completed or failed; the
 * connection died; the peer's FIN arrived) and says what is queued or ready; the functions below
 * decide what the caller is told: the errno of a failed connect, of a receive or a send, and the
 * bits of a poll. The API layer (socketpool/__init__.py) is the Python home of the same rules;
 * the conformance suite, run on every target, is what shows the homes agree.
 *
 * Plain C without lwIP or MicroPython headers (the binding includes it too); every function is a
 * static inline on the hot path, so a core pays no call for a rule.
 */
#ifndef SP_RULES_H
#define SP_RULES_H

#include <stdint.h>

#include "sp_engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* a TCP socket's life, as the contract sees it; the stack's own state stays inside the stack */
enum sp_conn_state {
    SP_CONN_NEW,        /* never connected (both cores' TCP sockets start here) */
    SP_CONN_LISTENING,
    SP_CONN_CONNECTING, /* a non-blocking connect under way */
    SP_CONN_CONNECTED,  /* the connection was made (the peer may have closed its side: peer_closed) */
    SP_CONN_FAILED,     /* the last connect failed; `err` says why (connect_result) */
    SP_CONN_RESET,      /* the connection died after it was made (reset, or the stack gave it up):
                         * latched, every later receive (once the queue is read) and send says so */
};

typedef struct {
    uint8_t state;       /* enum sp_conn_state */
    uint8_t err;         /* SP_CONN_FAILED: the contract's SP_E* of the failure */
    uint8_t peer_closed; /* the peer's FIN arrived: a receive with nothing queued is 0, every time */
} sp_conn_t;

/* ---- connect -------------------------------------------------------------------------- */

/* The contract's error for a connect that failed with the stack's `code` (SP_E*): a reset while
 * connecting is a refusal (deliberate fix); lwIP gives up its SYN retries with ERR_ABRT
 * (ECONNABORTED): a SYN never answered is ETIMEDOUT; "no route" is one error, EHOSTUNREACH. */
static inline int sp_rule_connect_error(int code) {
    switch (code) {
        case SP_ECONNRESET: return SP_ECONNREFUSED;
        case SP_ECONNABORTED: return SP_ETIMEDOUT;
        case SP_ENETUNREACH: return SP_EHOSTUNREACH;
        default: return code;
    }
}

/* the connect failed with the stack's `code`: records it, returns the contract's error (< 0) */
static inline int sp_conn_failed(sp_conn_t *c, int code) {
    c->err = (uint8_t)sp_rule_connect_error(code);
    c->state = SP_CONN_FAILED;
    return -(int)c->err;
}

/* the stack says the connection died (`code`: SP_ECONNRESET for a reset, SP_ECONNABORTED when
 * the stack gave it up): while connecting that is a failed connect, afterwards a latched reset */
static inline void sp_conn_died(sp_conn_t *c, int code) {
    if (c->state == SP_CONN_CONNECTING) {
        (void)sp_conn_failed(c, code);
    } else {
        c->state = SP_CONN_RESET;
    }
}

/* a TCP connect, before the stack: 1 try. Else the answer: under way is EALREADY; connected
 * (a reset that came after included) or listening is EISCONN; a failure no connect has reported
 * yet is reported once, then the socket may connect again (as Linux) */
static inline int sp_conn_connect_gate(sp_conn_t *c) {
    switch (c->state) {
        case SP_CONN_NEW:
            return 1;
        case SP_CONN_CONNECTING:
            return -SP_EALREADY;
        case SP_CONN_FAILED:
            c->state = SP_CONN_NEW;
            return -(int)c->err;
        default:
            return -SP_EISCONN;
    }
}

/* connect_result of a TCP socket: 0 once connected (a reset that came after shows on the next
 * call); a failure until the next connect; EINPROGRESS while under way; else ENOTCONN */
static inline int sp_rule_connect_result(const sp_conn_t *c) {
    switch (c->state) {
        case SP_CONN_CONNECTED:
        case SP_CONN_RESET:
            return 0;
        case SP_CONN_CONNECTING:
            return -SP_EINPROGRESS;
        case SP_CONN_FAILED:
            return -(int)c->err;
        default:
            return -SP_ENOTCONN;
    }
}

/* ---- listen ------------------------------------------------------------------------------ */

/* a TCP listen, before the stack: 1 go on (0 when listening already: the stack may take the new
 * backlog). A socket that is connecting, connected (a reset included) or whose connect failed is
 * EINVAL, listen's one error in the contract (lwIP says ENOTCONN while a connect is under way) */
static inline int sp_rule_listen_gate(const sp_conn_t *c) {
    switch (c->state) {
        case SP_CONN_NEW:
            return 1;
        case SP_CONN_LISTENING:
            return 0;
        default:
            return -SP_EINVAL;
    }
}

/* ---- receive (TCP) -------------------------------------------------------------------- */

/* before looking at what is queued: 1 go on (connected, or reset with data still queued), else
 * the answer: never connected, failed or listening is ENOTCONN; connecting is EAGAIN (readable
 * once connected) */
static inline int sp_rule_recv_gate(const sp_conn_t *c) {
    switch (c->state) {
        case SP_CONN_CONNECTED:
        case SP_CONN_RESET:
            return 1;
        case SP_CONN_CONNECTING:
            return -SP_EAGAIN;
        default:
            return -SP_ENOTCONN;
    }
}

/* nothing is queued: end of stream is 0 every time it is asked, even when a reset follows the
 * FIN (Linux's order); a reset is ECONNRESET every time; else there is nothing yet */
static inline int sp_rule_recv_empty(const sp_conn_t *c) {
    if (c->peer_closed) {
        return 0;
    }
    return c->state == SP_CONN_RESET ? -SP_ECONNRESET : -SP_EAGAIN;
}

/* ---- send ----------------------------------------------------------------------------- */

/* a TCP send, before the stack: 1 go on, else the answer: a reset is ECONNRESET (latched), a
 * connect under way EAGAIN (a blocking send waits for the connection), never connected, failed
 * or listening is EPIPE */
static inline int sp_rule_send_gate(const sp_conn_t *c) {
    switch (c->state) {
        case SP_CONN_CONNECTED:
            return 1;
        case SP_CONN_RESET:
            return -SP_ECONNRESET;
        case SP_CONN_CONNECTING:
            return -SP_EAGAIN;
        default:
            return -SP_EPIPE;
    }
}

/* a datagram socket's send(): one without a default peer is EPIPE, as a never-connected TCP */
static inline int sp_rule_dgram_send_gate(int has_peer) {
    return has_peer ? 1 : -SP_EPIPE;
}

/* the stack failed a send on a connection with `code` (SP_E*): a connection that has gone
 * (reset, aborted, broken pipe, not connected any more) is a latched reset; else `code` */
static inline int sp_conn_send_failed(sp_conn_t *c, int code) {
    if (code == SP_ECONNRESET || code == SP_ECONNABORTED || code == SP_EPIPE || code == SP_ENOTCONN) {
        c->state = SP_CONN_RESET;
        return -SP_ECONNRESET;
    }
    return -code;
}

/* ---- poll ----------------------------------------------------------------------------- */

/* a closed socket is ready at once, with an error (every later call is EBADF) */
static inline int sp_rule_poll_closed(int events) {
    return (events & (SP_POLLIN | SP_POLLOUT)) | SP_POLLERR | SP_POLLHUP;
}

/* A TCP socket's poll answer from its state and what the core found ready: SP_POLLIN (data or
 * the FIN queued, or a connection waiting for accept), SP_POLLOUT (room to send), SP_POLLERR
 * (the stack's error flag). A core resolves a connect under way (connected, or failed) before it
 * asks; a connect still under way is ready for nothing. */
static inline int sp_rule_poll(const sp_conn_t *c, int events, int ready) {
    int want = events & (SP_POLLIN | SP_POLLOUT);
    switch (c->state) {
        case SP_CONN_NEW:
            /* writable: a send fails at once (EPIPE), never wait on it; no POLLHUP (Linux reports
             * one for a socket that never had a connection) and no error flag an old failed
             * connect left in the stack */
            return want & SP_POLLOUT;
        case SP_CONN_LISTENING:
            return ready & want & SP_POLLIN;
        case SP_CONN_CONNECTING:
            return 0;
        case SP_CONN_CONNECTED:
            if (ready & SP_POLLERR) {
                return want | SP_POLLERR | SP_POLLHUP; /* an error on a connection: it has gone */
            }
            if (c->peer_closed) {
                ready |= SP_POLLIN; /* end of stream is readable every time */
            }
            return ready & want;
        default: /* SP_CONN_FAILED, SP_CONN_RESET */
            return want | SP_POLLERR | SP_POLLHUP;
    }
}

#ifdef __cplusplus
}
#endif

#endif
