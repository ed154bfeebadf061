/*
 * modsocketpool.c - THE MicroPython binding of both native engines: module `_socketpool`
 * (docs/engine-interface.md) over whichever core the port folder's build file links
 * (ports/esp32/sp_core_esp32.c: lwIP BSD sockets; ports/rp2040_cyw43/sp_core_rp2.c: lwIP raw API),
 * through ports/common/sp_engine.h only. What a port really provides (the raw-API core's lock,
 * wake and wait; its memory) lives in that port's sp_port_*.c, never here.
 *
 * Two faces:
 *  - the engine interface: engine socket objects whose methods return a result or a negative
 *    MicroPython errno (one table: sp_mp_errno.h) and never block, except poll();
 *  - the hot path: recv_into, recvfrom_into, send, sendall and sendto of the API layer's Socket,
 *    in C (hot_path(), below). They take the happy path of the contract (a writable buffer, a
 *    small bufsize, bytes-like data, a numeric IPv4 address) and hand anything else, unchanged,
 *    to the API layer's Python method, which stays the one home of the argument checks and their
 *    messages. The deadline wait is here, once, for the hot path and for poll().
 *
 * The one wait (sp_mp_wait) is the Ctrl-C slice of the whole stack: the core waits at most
 * SP_POLL_SLICE_MS with the GIL released, then scheduled callbacks and KeyboardInterrupt get their
 * turn. The API layer passes the whole remaining time down. Socket objects have finalisers: a
 * forgotten socket is closed by the gc, and every socket on soft reset (gc_sweep_all()).
 */
#include <string.h>

#include "py/mperrno.h"
#include "py/mphal.h"
#include "py/nlr.h"
#include "py/obj.h"
#include "py/objint.h"
#include "py/objstr.h"
#include "py/runtime.h"
#include "py/stream.h"

#include "sp_config.h"
#include "sp_deadline.h"
#include "sp_engine.h"
#include "sp_mp_errno.h"
#include "sp_resolve.h"
#include "sp_rules.h"

/* A port whose Ctrl-C handler longjmps out of whatever C code runs (MICROPY_ASYNC_KBD_INTR:
 * MicroPython's unix port) must never leave lwIP that way: lwip_poll links a record on its own
 * stack into lwIP's lists, and a jump out of it left them pointing into a dead frame (lwip_close
 * then crashed). Every core call runs with SIGINT held back; it is delivered right after. */
#if MICROPY_ASYNC_KBD_INTR
#include <pthread.h>
#include <signal.h>
#define SP_CORE(stmt)                                         \
    do {                                                      \
        sigset_t sp_int_, sp_old_;                            \
        sigemptyset(&sp_int_);                                \
        sigaddset(&sp_int_, SIGINT);                          \
        pthread_sigmask(SIG_BLOCK, &sp_int_, &sp_old_);       \
        stmt;                                                 \
        pthread_sigmask(SIG_SETMASK, &sp_old_, NULL);         \
    } while (0)
#else
#define SP_CORE(stmt) \
    do {              \
        stmt;         \
    } while (0)
#endif

#if SP_HOST_PLATFORM
int sp_host_start(void); /* MicroPython's unix port over host lwIP: ports/host/sp_host_platform.c */
#endif

/* the cores' clock hook (sp_deadline.h) */
uint32_t sp_ticks_ms(void) {
    return (uint32_t)mp_hal_ticks_ms();
}

static mp_obj_t sp_result(int r) {
    return MP_OBJ_NEW_SMALL_INT(sp_mp_result(r));
}

static mp_obj_t sp_ip_str(const char *ip) {
    return mp_obj_new_str(ip, strlen(ip));
}

static mp_obj_t sp_addr_tuple(const char *ip, int port) {
    mp_obj_t items[2] = {sp_ip_str(ip), MP_OBJ_NEW_SMALL_INT(port)};
    return mp_obj_new_tuple(2, items);
}

/* ---- engine socket objects ------------------------------------------------------------- */

/* A core socket is used by at most the threads inside a core call on it (`busy`, counted under
 * the port's atomic section: rp2 runs threads without a GIL, and every port releases the GIL while
 * waiting). close() from another thread never frees it under them: it takes `s` away at once (so
 * every later call is EBADF) and leaves it in `doomed` for the last thread out to close. */
typedef struct _sp_mp_socket_t {
    mp_obj_base_t base;
    sp_sock_t *s;      /* NULL once closed */
    sp_sock_t *doomed; /* closed while busy: closed by the last core call to finish */
    uint16_t busy;
} sp_mp_socket_t;

static const mp_obj_type_t sp_mp_socket_type;
static volatile int sp_open_count; /* live_slots(): core sockets open right now */

static void sp_count(int delta) {
    mp_uint_t st = MICROPY_BEGIN_ATOMIC_SECTION();
    sp_open_count += delta;
    MICROPY_END_ATOMIC_SECTION(st);
}

static void sp_free_core(sp_sock_t *s) {
    SP_CORE(sp_free(s)); /* the last thread out: nothing uses s any more */
    sp_count(-1);
}

static sp_mp_socket_t *sp_mp_new(void) {
    sp_mp_socket_t *o = mp_obj_malloc_with_finaliser(sp_mp_socket_t, &sp_mp_socket_type);
    o->s = NULL;
    o->doomed = NULL;
    o->busy = 0;
    return o;
}

static void sp_mp_adopt(sp_mp_socket_t *o, sp_sock_t *s) {
    o->s = s;
    sp_count(1);
}

/* the core socket for one core call (NULL: closed), then sp_leave() */
static sp_sock_t *sp_enter(sp_mp_socket_t *o) {
    mp_uint_t st = MICROPY_BEGIN_ATOMIC_SECTION();
    sp_sock_t *s = o->s;
    if (s != NULL) {
        o->busy++;
    }
    MICROPY_END_ATOMIC_SECTION(st);
    return s;
}

static void sp_leave(sp_mp_socket_t *o) {
    mp_uint_t st = MICROPY_BEGIN_ATOMIC_SECTION();
    sp_sock_t *s = NULL;
    if (--o->busy == 0 && o->doomed != NULL) {
        s = o->doomed;
        o->doomed = NULL;
    }
    MICROPY_END_ATOMIC_SECTION(st);
    if (s != NULL) {
        sp_free_core(s);
    }
}

/* one core call on an engine socket: `r` gets -SP_EBADF when it is closed */
#define SP_CALL(o, r, s, expr)                \
    do {                                      \
        sp_sock_t *s = sp_enter(o);           \
        if (s == NULL) {                      \
            r = -SP_EBADF;                    \
        } else {                              \
            SP_CORE(r = (expr));              \
            sp_leave(o);                      \
        }                                     \
    } while (0)

static mp_obj_t sp_mp_close(mp_obj_t self_in) {
    sp_mp_socket_t *o = MP_OBJ_TO_PTR(self_in);
    mp_uint_t st = MICROPY_BEGIN_ATOMIC_SECTION();
    sp_sock_t *s = o->s;
    o->s = NULL;
    if (s != NULL && o->busy > 0) {
        o->doomed = s; /* another thread is inside a core call on it */
        s = NULL;
    }
    MICROPY_END_ATOMIC_SECTION(st);
    if (s != NULL) {
        sp_free_core(s);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(sp_mp_close_obj, sp_mp_close);

/* The one wait: at most timeout_ms (SP_FOREVER: no limit), cut into SP_POLL_SLICE_MS slices with
 * the GIL released; scheduled callbacks and Ctrl-C run between slices. Returns the ready bits, 0
 * when the time ran out, or -SP_EBADF once the socket is closed (by another thread). */
static int sp_mp_wait(sp_mp_socket_t *o, int events, int32_t timeout_ms) {
    sp_deadline_t deadline;
    sp_deadline_start(&deadline, timeout_ms);
    for (;;) {
        int32_t slice = sp_deadline_slice(&deadline, SP_POLL_SLICE_MS);
        sp_sock_t *s = sp_enter(o);
        if (s == NULL) {
            return -SP_EBADF;
        }
        int ready;
        nlr_buf_t nlr;
        MP_THREAD_GIL_EXIT();
        if (nlr_push(&nlr) == 0) { /* a port's wait hook may raise (rp2: Ctrl-C in sp_wait) */
            SP_CORE(ready = sp_poll(s, events, (int)slice));
            nlr_pop();
        } else {
            MP_THREAD_GIL_ENTER();
            sp_leave(o);
            nlr_jump(nlr.ret_val);
        }
        MP_THREAD_GIL_ENTER();
        sp_leave(o);
        if (ready != 0 || sp_deadline_expired(&deadline)) {
            return ready;
        }
        mp_handle_pending(MP_HANDLE_PENDING_CALLBACKS_AND_EXCEPTIONS);
    }
}

static mp_obj_t sp_mp_fileno(mp_obj_t self_in) {
    (void)self_in;
    return MP_OBJ_NEW_SMALL_INT(-1); /* lwIP sockets are not the VFS's descriptors */
}
static MP_DEFINE_CONST_FUN_OBJ_1(sp_mp_fileno_obj, sp_mp_fileno);

static mp_obj_t sp_mp_bind(mp_obj_t self_in, mp_obj_t ip, mp_obj_t port) {
    const char *addr = mp_obj_str_get_str(ip);
    int pn = (int)mp_obj_get_int(port), r;
    SP_CALL((sp_mp_socket_t *)MP_OBJ_TO_PTR(self_in), r, s, sp_bind(s, addr, pn));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_mp_bind_obj, sp_mp_bind);

static mp_obj_t sp_mp_listen(mp_obj_t self_in, mp_obj_t backlog) {
    int b = (int)mp_obj_get_int(backlog), r;
    SP_CALL((sp_mp_socket_t *)MP_OBJ_TO_PTR(self_in), r, s, sp_listen(s, b));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_2(sp_mp_listen_obj, sp_mp_listen);

/* allocates only for a connection that is there (no garbage per EAGAIN); a MemoryError for its
 * object closes the accepted connection instead of stranding it */
static mp_obj_t sp_mp_accept(mp_obj_t self_in) {
    sp_sock_t *n = NULL;
    char ip[SP_IPSTR_LEN];
    int port = 0, r;
    SP_CALL((sp_mp_socket_t *)MP_OBJ_TO_PTR(self_in), r, s, sp_accept(s, &n, ip, &port));
    if (r < 0) {
        return sp_result(r);
    }
    sp_count(1);
    sp_mp_socket_t *o;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        o = sp_mp_new();
        nlr_pop();
    } else {
        sp_free_core(n);
        nlr_jump(nlr.ret_val);
    }
    o->s = n;
    mp_obj_t items[3] = {MP_OBJ_FROM_PTR(o), sp_ip_str(ip), MP_OBJ_NEW_SMALL_INT(port)};
    return mp_obj_new_tuple(3, items);
}
static MP_DEFINE_CONST_FUN_OBJ_1(sp_mp_accept_obj, sp_mp_accept);

static mp_obj_t sp_mp_connect(mp_obj_t self_in, mp_obj_t ip, mp_obj_t port) {
    const char *addr = mp_obj_str_get_str(ip);
    int pn = (int)mp_obj_get_int(port), r;
    SP_CALL((sp_mp_socket_t *)MP_OBJ_TO_PTR(self_in), r, s, sp_connect(s, addr, pn));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_mp_connect_obj, sp_mp_connect);

static mp_obj_t sp_mp_connect_result(mp_obj_t self_in) {
    int r;
    SP_CALL((sp_mp_socket_t *)MP_OBJ_TO_PTR(self_in), r, s, sp_connect_result(s));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_1(sp_mp_connect_result_obj, sp_mp_connect_result);

/* the writable region of buf, at most nbytes (nbytes < 0: all of it); no allocation */
static size_t sp_mp_wbuf(mp_obj_t buf, mp_obj_t nbytes, void **out) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(buf, &info, MP_BUFFER_WRITE);
    mp_int_t n = mp_obj_get_int(nbytes);
    *out = info.buf;
    return (n < 0 || (size_t)n > info.len) ? info.len : (size_t)n;
}

static mp_obj_t sp_mp_recv_into(mp_obj_t self_in, mp_obj_t buf, mp_obj_t nbytes) {
    void *p;
    size_t n = sp_mp_wbuf(buf, nbytes, &p);
    int r;
    SP_CALL((sp_mp_socket_t *)MP_OBJ_TO_PTR(self_in), r, s, sp_recv_into(s, p, n));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_mp_recv_into_obj, sp_mp_recv_into);

static mp_obj_t sp_mp_recvfrom_into(mp_obj_t self_in, mp_obj_t buf, mp_obj_t nbytes) {
    void *p;
    size_t n = sp_mp_wbuf(buf, nbytes, &p);
    char ip[SP_IPSTR_LEN];
    int port = 0, r;
    SP_CALL((sp_mp_socket_t *)MP_OBJ_TO_PTR(self_in), r, s, sp_recvfrom_into(s, p, n, ip, &port));
    if (r < 0) {
        return sp_result(r);
    }
    mp_obj_t items[2] = {MP_OBJ_NEW_SMALL_INT(r), sp_addr_tuple(ip, port)};
    return mp_obj_new_tuple(2, items);
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_mp_recvfrom_into_obj, sp_mp_recvfrom_into);

static mp_obj_t sp_mp_send(mp_obj_t self_in, mp_obj_t data) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(data, &info, MP_BUFFER_READ);
    int r;
    SP_CALL((sp_mp_socket_t *)MP_OBJ_TO_PTR(self_in), r, s, sp_send(s, info.buf, info.len));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_2(sp_mp_send_obj, sp_mp_send);

static mp_obj_t sp_mp_sendto(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    mp_buffer_info_t info;
    mp_get_buffer_raise(args[1], &info, MP_BUFFER_READ);
    const char *addr = mp_obj_str_get_str(args[2]);
    int pn = (int)mp_obj_get_int(args[3]), r;
    SP_CALL((sp_mp_socket_t *)MP_OBJ_TO_PTR(args[0]), r, s, sp_sendto(s, info.buf, info.len, addr, pn));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(sp_mp_sendto_obj, 4, 4, sp_mp_sendto);

static mp_obj_t sp_mp_setsockopt(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    mp_int_t level = mp_obj_get_int(args[1]), opt = mp_obj_get_int(args[2]);
    int v = 0;
    const void *value = &v;
    size_t len = sizeof(v);
    if (mp_obj_is_int(args[3])) {
        v = (int)mp_obj_get_int_truncated(args[3]);
    } else {
        mp_buffer_info_t info;
        mp_get_buffer_raise(args[3], &info, MP_BUFFER_READ);
        value = info.buf;
        len = info.len;
    }
    int r;
    SP_CALL((sp_mp_socket_t *)MP_OBJ_TO_PTR(args[0]), r, s, sp_setsockopt(s, (int)level, (int)opt, value, len));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(sp_mp_setsockopt_obj, 4, 4, sp_mp_setsockopt);

/* a timeout in ms as the interface passes it: < 0 forever, else at most what int32 holds */
static int32_t sp_mp_ms(mp_obj_t ms) {
    if (!mp_obj_is_small_int(ms)) {
        return mp_obj_int_sign(ms) < 0 ? SP_FOREVER : INT32_MAX; /* a big int: effectively forever */
    }
    mp_int_t t = MP_OBJ_SMALL_INT_VALUE(ms);
    return t < 0 ? SP_FOREVER : (t > INT32_MAX ? INT32_MAX : (int32_t)t);
}

static mp_obj_t sp_mp_poll(mp_obj_t self_in, mp_obj_t events, mp_obj_t timeout_ms) {
    sp_mp_socket_t *o = MP_OBJ_TO_PTR(self_in);
    int ev = (int)mp_obj_get_int(events);
    int32_t t = sp_mp_ms(timeout_ms);
    int ready;
    if (t == 0) {
        SP_CALL(o, ready, s, sp_poll(s, ev, 0));
    } else {
        ready = sp_mp_wait(o, ev, t);
    }
    return MP_OBJ_NEW_SMALL_INT(ready < 0 ? sp_rule_poll_closed(ev) : ready); /* < 0: closed */
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_mp_poll_obj, sp_mp_poll);

/* select.poll() on an engine socket: the stream protocol's MP_STREAM_POLL, never waiting */
static mp_uint_t sp_mp_ioctl(mp_obj_t self_in, mp_uint_t request, uintptr_t arg, int *errcode) {
    if (request == MP_STREAM_POLL) {
        /* SP_POLL* are Linux's bits, which are MicroPython's MP_STREAM_POLL_* */
        int ready;
        SP_CALL((sp_mp_socket_t *)MP_OBJ_TO_PTR(self_in), ready, s,
            sp_poll(s, (int)(arg & (MP_STREAM_POLL_RD | MP_STREAM_POLL_WR)), 0));
        return ready < 0 ? MP_STREAM_POLL_NVAL : (mp_uint_t)ready;
    }
    if (request == MP_STREAM_CLOSE) {
        sp_mp_close(self_in);
        return 0;
    }
    *errcode = MP_EINVAL;
    return MP_STREAM_ERROR;
}

static const mp_stream_p_t sp_mp_stream_p = {
    .ioctl = sp_mp_ioctl,
};

static const mp_rom_map_elem_t sp_mp_socket_locals_table[] = {
    {MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&sp_mp_close_obj)},
    {MP_ROM_QSTR(MP_QSTR_close), MP_ROM_PTR(&sp_mp_close_obj)},
    {MP_ROM_QSTR(MP_QSTR_fileno), MP_ROM_PTR(&sp_mp_fileno_obj)},
    {MP_ROM_QSTR(MP_QSTR_bind), MP_ROM_PTR(&sp_mp_bind_obj)},
    {MP_ROM_QSTR(MP_QSTR_listen), MP_ROM_PTR(&sp_mp_listen_obj)},
    {MP_ROM_QSTR(MP_QSTR_accept), MP_ROM_PTR(&sp_mp_accept_obj)},
    {MP_ROM_QSTR(MP_QSTR_connect), MP_ROM_PTR(&sp_mp_connect_obj)},
    {MP_ROM_QSTR(MP_QSTR_connect_result), MP_ROM_PTR(&sp_mp_connect_result_obj)},
    {MP_ROM_QSTR(MP_QSTR_recv_into), MP_ROM_PTR(&sp_mp_recv_into_obj)},
    {MP_ROM_QSTR(MP_QSTR_recvfrom_into), MP_ROM_PTR(&sp_mp_recvfrom_into_obj)},
    {MP_ROM_QSTR(MP_QSTR_send), MP_ROM_PTR(&sp_mp_send_obj)},
    {MP_ROM_QSTR(MP_QSTR_sendto), MP_ROM_PTR(&sp_mp_sendto_obj)},
    {MP_ROM_QSTR(MP_QSTR_setsockopt), MP_ROM_PTR(&sp_mp_setsockopt_obj)},
    {MP_ROM_QSTR(MP_QSTR_poll), MP_ROM_PTR(&sp_mp_poll_obj)},
};
static MP_DEFINE_CONST_DICT(sp_mp_socket_locals, sp_mp_socket_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    sp_mp_socket_type,
    MP_QSTR_EngineSocket,
    MP_TYPE_FLAG_NONE,
    protocol, &sp_mp_stream_p,
    locals_dict, &sp_mp_socket_locals
    );

/* ---- the hot path: the API layer's Socket methods in C ---------------------------------- */

/* hot_path(Socket, _raise) keeps the API layer's own methods (the slow path) and its _raise
 * (negative errno -> the contract's exception: one home, in Python) here */
enum { SP_HOT_RAISE, SP_HOT_RECV_INTO, SP_HOT_RECVFROM_INTO, SP_HOT_SEND, SP_HOT_SENDALL, SP_HOT_SENDTO,
       SP_HOT_N };
MP_REGISTER_ROOT_POINTER(mp_obj_t socketpool_hot[6]);
#define SP_HOT(i) (MP_STATE_VM(socketpool_hot)[i])

/* the API layer's Python method, for everything the hot path does not take */
static mp_obj_t sp_hot_slow(int which, size_t n_args, const mp_obj_t *args) {
    return mp_call_function_n_kw(SP_HOT(which), n_args, 0, args);
}

/* A hot-path function: a callable that binds self like a Python function does (MicroPython
 * treats a built-in function stored in a user class as a staticmethod), so the API layer's Socket
 * can hold it as a method. Keyword arguments, or a count it does not take, go to the slow path. */
typedef struct _sp_hot_fun_t {
    mp_obj_base_t base;
    uint8_t which, n_min, n_max; /* SP_HOT_*, positional arguments with self */
    mp_obj_t (*fun)(size_t n_args, const mp_obj_t *args);
} sp_hot_fun_t;

static mp_obj_t sp_hot_fun_call(mp_obj_t self_in, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    const sp_hot_fun_t *f = MP_OBJ_TO_PTR(self_in);
    if (n_kw != 0 || n_args < f->n_min || n_args > f->n_max) {
        return mp_call_function_n_kw(SP_HOT(f->which), n_args, n_kw, args);
    }
    return f->fun(n_args, args);
}

static MP_DEFINE_CONST_OBJ_TYPE(
    sp_hot_fun_type,
    MP_QSTR_function,
    MP_TYPE_FLAG_BINDS_SELF,
    call, sp_hot_fun_call
    );

#define SP_HOT_FUN(name, which, n_min, n_max, fun) \
    static const sp_hot_fun_t name = {{&sp_hot_fun_type}, which, n_min, n_max, fun}

static MP_NORETURN mp_obj_t sp_hot_raise(int r) {
    mp_call_function_1(SP_HOT(SP_HOT_RAISE), MP_OBJ_NEW_SMALL_INT(sp_mp_result(r)));
    mp_raise_OSError(-sp_mp_result(r)); /* _raise always raises; this is never reached */
}

/* the engine socket of an API-layer Socket, or NULL (closed, or not ours: the slow path) */
static sp_mp_socket_t *sp_hot_es(mp_obj_t self) {
    mp_obj_t es = mp_load_attr(self, MP_QSTR__es);
    return mp_obj_is_type(es, &sp_mp_socket_type) ? MP_OBJ_TO_PTR(es) : NULL;
}

/* a deadline taken from the socket's timeout at the first wait of a call (sendall: bounds the
 * whole call) */
typedef struct _sp_hot_deadline_t {
    sp_deadline_t d;
    bool started;
} sp_hot_deadline_t;

/* after an EAGAIN: wait for `events` within the call's deadline. 0, or a negative SP_E* code
 * (EAGAIN for a non-blocking socket, ETIMEDOUT, EBADF once closed) */
static int sp_hot_wait(mp_obj_t self, sp_mp_socket_t *o, int events, sp_hot_deadline_t *hd) {
    if (!hd->started) {
        int32_t t = sp_mp_ms(mp_load_attr(self, MP_QSTR__timeout_ms));
        if (t == 0) {
            return -SP_EAGAIN;
        }
        sp_deadline_start(&hd->d, t);
        hd->started = true;
    }
    int32_t left = sp_deadline_left(&hd->d);
    if (left == 0) {
        return -SP_ETIMEDOUT;
    }
    int ready = sp_mp_wait(o, events, left);
    return ready < 0 ? ready : 0;
}

/* buffer and bufsize as the contract takes them in the common case: a writable buffer (not str or
 * bytes) and a small int bufsize <= its length. False: the slow path decides (and raises) */
static bool sp_hot_wbuf(mp_obj_t buffer, size_t n_args, const mp_obj_t *args, mp_buffer_info_t *bi) {
    if (mp_obj_is_str_or_bytes(buffer) || !mp_get_buffer(buffer, bi, MP_BUFFER_WRITE)) {
        return false;
    }
    if (n_args > 2) {
        if (!mp_obj_is_small_int(args[2])) {
            return false;
        }
        mp_int_t n = MP_OBJ_SMALL_INT_VALUE(args[2]);
        if (n > 0 && (size_t)n > bi->len) {
            return false;
        }
        if (n > 0) {
            bi->len = (size_t)n;
        }
    }
    return true;
}

/* data as bytes-like (never str); false: the slow path decides */
static bool sp_hot_rbuf(mp_obj_t data, mp_buffer_info_t *bi) {
    return !mp_obj_is_str(data) && mp_get_buffer(data, bi, MP_BUFFER_READ);
}

static mp_obj_t sp_hot_recv_into(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t bi;
    sp_mp_socket_t *o = sp_hot_es(args[0]);
    if (o == NULL || !sp_hot_wbuf(args[1], n_args, args, &bi)) {
        return sp_hot_slow(SP_HOT_RECV_INTO, n_args, args);
    }
    size_t n = bi.len;
    sp_hot_deadline_t hd = {.started = false};
    for (;;) {
        int r;
        SP_CALL(o, r, s, sp_recv_into(s, bi.buf, n));
        if (r == -SP_EAGAIN) {
            r = sp_hot_wait(args[0], o, SP_POLLIN, &hd);
            if (r == 0) {
                /* another thread may have resized the buffer while this one waited */
                if (!sp_hot_wbuf(args[1], n_args, args, &bi)) {
                    return sp_hot_slow(SP_HOT_RECV_INTO, n_args, args);
                }
                n = bi.len;
                continue;
            }
        }
        return r < 0 ? sp_hot_raise(r) : MP_OBJ_NEW_SMALL_INT(r);
    }
}
SP_HOT_FUN(sp_hot_recv_into_obj, SP_HOT_RECV_INTO, 2, 3, sp_hot_recv_into);

static mp_obj_t sp_hot_recvfrom_into(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t bi;
    sp_mp_socket_t *o = sp_hot_es(args[0]);
    if (o == NULL || !sp_hot_wbuf(args[1], n_args, args, &bi)) {
        return sp_hot_slow(SP_HOT_RECVFROM_INTO, n_args, args);
    }
    sp_hot_deadline_t hd = {.started = false};
    char ip[SP_IPSTR_LEN];
    int port = 0;
    for (;;) {
        int r;
        SP_CALL(o, r, s, sp_recvfrom_into(s, bi.buf, bi.len, ip, &port));
        if (r == -SP_EAGAIN) {
            r = sp_hot_wait(args[0], o, SP_POLLIN, &hd);
            if (r == 0) {
                if (!sp_hot_wbuf(args[1], n_args, args, &bi)) {
                    return sp_hot_slow(SP_HOT_RECVFROM_INTO, n_args, args);
                }
                continue;
            }
        }
        if (r < 0) {
            return sp_hot_raise(r);
        }
        mp_obj_t items[2] = {MP_OBJ_NEW_SMALL_INT(r), sp_addr_tuple(ip, port)};
        return mp_obj_new_tuple(2, items);
    }
}
SP_HOT_FUN(sp_hot_recvfrom_into_obj, SP_HOT_RECVFROM_INTO, 2, 3, sp_hot_recvfrom_into);

/* send (all = false) or sendall (all = true) of a bytes-like, numeric-IPv4 sendto when ip != NULL.
 * Returns the bytes sent (send, sendto) or None (sendall) */
static mp_obj_t sp_hot_out(mp_obj_t self, sp_mp_socket_t *o, mp_obj_t data, bool all, const char *ip, int port) {
    sp_hot_deadline_t hd = {.started = false};
    size_t sent = 0;
    for (;;) {
        mp_buffer_info_t bi;
        if (!sp_hot_rbuf(data, &bi)) {
            mp_raise_TypeError(MP_ERROR_TEXT("data must be bytes-like")); /* changed while waiting */
        }
        if (sent > bi.len) {
            sent = bi.len;
        }
        int r;
        if (ip != NULL) {
            SP_CALL(o, r, s, sp_sendto(s, bi.buf, bi.len, ip, port));
        } else {
            SP_CALL(o, r, s, sp_send(s, (const uint8_t *)bi.buf + sent, bi.len - sent));
        }
        if (r >= 0) {
            if (!all) {
                return MP_OBJ_NEW_SMALL_INT(r);
            }
            sent += (size_t)r;
            if (sent >= bi.len) {
                return mp_const_none;
            }
            continue;
        }
        if (r == -SP_EAGAIN) {
            r = sp_hot_wait(self, o, SP_POLLOUT, &hd);
            if (r == 0) {
                continue;
            }
        }
        return sp_hot_raise(r);
    }
}

static mp_obj_t sp_hot_send(size_t n_args, const mp_obj_t *args) {
    mp_obj_t self = args[0], data = args[1];
    mp_buffer_info_t bi;
    sp_mp_socket_t *o = sp_hot_es(self);
    if (o == NULL || !sp_hot_rbuf(data, &bi)) {
        return sp_hot_slow(SP_HOT_SEND, n_args, args);
    }
    return sp_hot_out(self, o, data, false, NULL, 0);
}
SP_HOT_FUN(sp_hot_send_obj, SP_HOT_SEND, 2, 2, sp_hot_send);

static mp_obj_t sp_hot_sendall(size_t n_args, const mp_obj_t *args) {
    mp_obj_t self = args[0], data = args[1];
    mp_buffer_info_t bi;
    sp_mp_socket_t *o = sp_hot_es(self);
    if (o == NULL || !sp_hot_rbuf(data, &bi)) {
        return sp_hot_slow(SP_HOT_SENDALL, n_args, args);
    }
    return sp_hot_out(self, o, data, true, NULL, 0);
}
SP_HOT_FUN(sp_hot_sendall_obj, SP_HOT_SENDALL, 2, 2, sp_hot_sendall);

/* a numeric IPv4 destination, as the API layer's _is_ipv4 takes it (four decimal parts 0-255,
 * no leading zero) and not 0.0.0.0 (nobody's); anything else is the slow path's to judge */
static bool sp_hot_is_ipv4(const char *p, size_t len) {
    int parts = 0, digits = 0, value = 0, sum = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? p[i] : '.';
        if (c >= '0' && c <= '9') {
            if (digits == 1 && value == 0) {
                return false; /* a leading zero: octal to some resolvers, refused by the contract */
            }
            value = value * 10 + (c - '0');
            if (++digits > 3 || value > 255) {
                return false;
            }
            sum += c - '0';
        } else if (c == '.' && digits > 0) {
            parts++;
            digits = value = 0;
        } else {
            return false;
        }
    }
    return parts == 4 && sum > 0;
}

static mp_obj_t sp_hot_sendto(size_t n_args, const mp_obj_t *args) {
    mp_obj_t self = args[0], data = args[1], address = args[2];
    mp_buffer_info_t bi;
    sp_mp_socket_t *o = sp_hot_es(self);
    if (o != NULL && sp_hot_rbuf(data, &bi)) {
        if (mp_obj_get_int(mp_load_attr(self, MP_QSTR__type)) == SP_SOCK_STREAM) {
            return sp_hot_out(self, o, data, false, NULL, 0); /* TCP: the address is ignored */
        }
        size_t n;
        mp_obj_t *item;
        if (mp_obj_is_type(address, &mp_type_tuple) || mp_obj_is_type(address, &mp_type_list)) {
            mp_obj_get_array(address, &n, &item);
            if (n == 2 && mp_obj_is_str(item[0]) && mp_obj_is_small_int(item[1]) &&
                mp_obj_get_int(mp_load_attr(self, MP_QSTR__family)) == SP_AF_INET) {
                size_t hl;
                const char *host = mp_obj_str_get_data(item[0], &hl);
                mp_int_t port = MP_OBJ_SMALL_INT_VALUE(item[1]);
                if (port > 0 && port <= 65535 && sp_hot_is_ipv4(host, hl)) { /* port 0: slow path */
                    return sp_hot_out(self, o, data, false, host, (int)port);
                }
            }
        }
    }
    return sp_hot_slow(SP_HOT_SENDTO, n_args, args);
}
SP_HOT_FUN(sp_hot_sendto_obj, SP_HOT_SENDTO, 3, 3, sp_hot_sendto);

/* hot_path(Socket, raise_fn): Socket's recv_into, recvfrom_into, send, sendall and sendto become
 * the functions above; the Python ones stay their slow path */
static mp_obj_t sp_mp_hot_path(mp_obj_t cls, mp_obj_t raise_fn) {
    static const qstr names[SP_HOT_N] = {
        0, MP_QSTR_recv_into, MP_QSTR_recvfrom_into, MP_QSTR_send, MP_QSTR_sendall, MP_QSTR_sendto,
    };
    static const void *const hot[SP_HOT_N] = {
        NULL, &sp_hot_recv_into_obj, &sp_hot_recvfrom_into_obj, &sp_hot_send_obj, &sp_hot_sendall_obj,
        &sp_hot_sendto_obj,
    };
    SP_HOT(SP_HOT_RAISE) = raise_fn;
    for (int i = 1; i < SP_HOT_N; i++) {
        mp_obj_t current = mp_load_attr(cls, names[i]);
        if (current != MP_OBJ_FROM_PTR(hot[i])) { /* a second call keeps the first slow path */
            SP_HOT(i) = current;
            mp_store_attr(cls, names[i], MP_OBJ_FROM_PTR(hot[i]));
        }
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(sp_mp_hot_path_obj, sp_mp_hot_path);

/* ---- module functions ------------------------------------------------------------------ */

static void sp_mp_platform_start(void) {
    #if SP_HOST_PLATFORM
    static int started;
    if (!started) {
        if (sp_host_start() != 0) {
            mp_raise_OSError(MP_EIO);
        }
        started = 1;
    }
    #endif
}

/* the object first: a MemoryError then cannot strand a core socket */
static mp_obj_t sp_mp_socket(mp_obj_t family, mp_obj_t type, mp_obj_t proto) {
    sp_mp_platform_start();
    int f = (int)mp_obj_get_int(family), t = (int)mp_obj_get_int(type);
    int pr = (int)mp_obj_get_int(proto), r;
    sp_mp_socket_t *o = sp_mp_new();
    sp_sock_t *s = NULL;
    SP_CORE(r = sp_socket(f, t, pr, &s));
    if (r < 0) {
        return sp_result(r);
    }
    sp_mp_adopt(o, s);
    return MP_OBJ_FROM_PTR(o);
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_mp_socket_obj, sp_mp_socket);

static mp_obj_t sp_mp_live_slots(void) {
    return MP_OBJ_NEW_SMALL_INT(sp_open_count);
}
static MP_DEFINE_CONST_FUN_OBJ_0(sp_mp_live_slots_obj, sp_mp_live_slots);

#if !SP_DNS && SP_HOST_PLATFORM
/* MicroPython's unix port over host lwIP (Debian's lwIP has no DNS client): names are resolved
 * with the host's resolver, as the CPython host-lwIP driver does (socketpool_host/engine_lwip.py) */
#include <netdb.h>
#include <arpa/inet.h>

static int sp_mp_host_resolve(const char *host, int family, sp_addr_t *out, int max) {
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family == SP_AF_INET ? AF_INET : (family == SP_AF_INET6 ? AF_INET6 : AF_UNSPEC);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0) {
        return 0;
    }
    int n = 0;
    for (struct addrinfo *ai = res; ai != NULL && n < max; ai = ai->ai_next) {
        const void *addr;
        int fam;
        if (ai->ai_family == AF_INET) {
            addr = &((struct sockaddr_in *)ai->ai_addr)->sin_addr;
            fam = SP_AF_INET;
        } else if (ai->ai_family == AF_INET6 && sp_has_ipv6()) {
            addr = &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
            fam = SP_AF_INET6;
        } else {
            continue;
        }
        if (inet_ntop(ai->ai_family, addr, out[n].ip, SP_IPSTR_LEN) == NULL) {
            continue;
        }
        out[n].family = fam;
        int dup = 0;
        for (int i = 0; i < n; i++) {
            dup |= out[i].family == fam && strcmp(out[i].ip, out[n].ip) == 0;
        }
        n += !dup;
    }
    freeaddrinfo(res);
    return n;
}
#define SP_MP_RESOLVE sp_mp_host_resolve
#elif SP_DNS
#define SP_MP_RESOLVE sp_resolve
#endif

/* list of (family, ip) for a name, or None; never raises for a failed lookup, never prints */
static mp_obj_t sp_mp_getaddrinfo(mp_obj_t host, mp_obj_t family) {
    #ifdef SP_MP_RESOLVE
    const char *name = mp_obj_str_get_str(host);
    int fam = (int)mp_obj_get_int(family);
    sp_addr_t found[SP_RESOLVE_MAX];
    int n;
    MP_THREAD_GIL_EXIT();
    SP_CORE(n = SP_MP_RESOLVE(name, fam, found, SP_RESOLVE_MAX));
    MP_THREAD_GIL_ENTER();
    if (n <= 0) {
        return mp_const_none;
    }
    mp_obj_t list = mp_obj_new_list(0, NULL);
    for (int i = 0; i < n; i++) {
        mp_obj_t items[2] = {MP_OBJ_NEW_SMALL_INT(found[i].family), sp_ip_str(found[i].ip)};
        mp_obj_list_append(list, mp_obj_new_tuple(2, items));
    }
    return list;
    #else
    (void)host;
    (void)family;
    return mp_const_none; /* host builds: the API layer has only numeric addresses */
    #endif
}
static MP_DEFINE_CONST_FUN_OBJ_2(sp_mp_getaddrinfo_obj, sp_mp_getaddrinfo);

static MP_DEFINE_STR_OBJ(sp_mp_name_obj, SP_ENGINE_NAME);

/* MAX_SLOTS, IPV6 and RAW are the core's facts, read on access (module __getattr__) */
static mp_obj_t sp_mp_getattr(mp_obj_t attr) {
    qstr name = mp_obj_str_get_qstr(attr);
    if (name == MP_QSTR_MAX_SLOTS) {
        return MP_OBJ_NEW_SMALL_INT(sp_max_slots());
    }
    if (name == MP_QSTR_IPV6) {
        return mp_obj_new_bool(sp_has_ipv6());
    }
    if (name == MP_QSTR_RAW) {
        return mp_obj_new_bool(sp_has_raw());
    }
    return MP_OBJ_NULL; /* not ours: AttributeError (or, during import, nothing found) */
}
static MP_DEFINE_CONST_FUN_OBJ_1(sp_mp_getattr_obj, sp_mp_getattr);

static const mp_rom_map_elem_t sp_mp_module_table[] = {
    {MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__socketpool)},
    {MP_ROM_QSTR(MP_QSTR___getattr__), MP_ROM_PTR(&sp_mp_getattr_obj)},
    {MP_ROM_QSTR(MP_QSTR_NAME), MP_ROM_PTR(&sp_mp_name_obj)},
    {MP_ROM_QSTR(MP_QSTR_socket), MP_ROM_PTR(&sp_mp_socket_obj)},
    {MP_ROM_QSTR(MP_QSTR_getaddrinfo), MP_ROM_PTR(&sp_mp_getaddrinfo_obj)},
    {MP_ROM_QSTR(MP_QSTR_live_slots), MP_ROM_PTR(&sp_mp_live_slots_obj)},
    {MP_ROM_QSTR(MP_QSTR_hot_path), MP_ROM_PTR(&sp_mp_hot_path_obj)},
};
static MP_DEFINE_CONST_DICT(sp_mp_module_globals, sp_mp_module_table);

const mp_obj_module_t sp_mp_module = {
    .base = {&mp_type_module},
    .globals = (mp_obj_dict_t *)&sp_mp_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__socketpool, sp_mp_module);
