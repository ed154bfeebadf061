/*
 * modsocketpool.c - the MicroPython binding of the ESP32 native engine: module `_socketpool`,
 * implementing docs/engine-interface.md over the core in sp_core_esp32.c (sp_engine.h).
 *
 * Thin on purpose: argument checks, timeouts and deadlines live in the API layer (socketpool/).
 * Every method returns a result or a negative MicroPython errno (one table below, from the
 * core's portable SP_E* codes); nothing here raises for a socket error. The only wait is
 * poll(), cut into SP_POLL_SLICE_MS slices with the GIL released, running scheduled callbacks
 * and raising KeyboardInterrupt between slices. Socket objects have finalisers: a forgotten
 * socket is closed by the gc, and every socket is closed on soft reset (the port's
 * gc_sweep_all() runs all finalisers).
 */
#include <string.h>

#include "py/mperrno.h"
#include "py/mphal.h"
#include "py/obj.h"
#include "py/objstr.h"
#include "py/runtime.h"
#include "py/stream.h"

#include "sp_deadline.h"
#include "sp_engine.h"
#include "sp_mp_errno.h"
#include "sp_resolve.h"

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

/* the core's clock hook (sp_deadline.h) */
uint32_t sp_ticks_ms(void) {
    return (uint32_t)mp_hal_ticks_ms();
}

/* ---- errors: SP_E* -> this interpreter's errno (ports/common/sp_mp_errno.h) ---------- */

static mp_obj_t sp_result(int r) {
    return MP_OBJ_NEW_SMALL_INT(sp_mp_result(r));
}

static mp_obj_t sp_addr_tuple(const char *ip, int port) {
    mp_obj_t items[2] = {mp_obj_new_str(ip, strlen(ip)), MP_OBJ_NEW_SMALL_INT(port)};
    return mp_obj_new_tuple(2, items);
}

/* ---- the socket object ----------------------------------------------------------------- */

typedef struct _sp_mp_socket_t {
    mp_obj_base_t base;
    sp_sock_t *s; /* NULL once closed */
} sp_mp_socket_t;

static const mp_obj_type_t sp_mp_socket_type;
static int sp_open_count; /* live_slots(): core sockets open right now */

static sp_mp_socket_t *sp_mp_new(void) {
    #ifdef mp_obj_malloc_with_finaliser
    sp_mp_socket_t *o = mp_obj_malloc_with_finaliser(sp_mp_socket_t, &sp_mp_socket_type);
    #else
    sp_mp_socket_t *o = m_new_obj_with_finaliser(sp_mp_socket_t);
    o->base.type = &sp_mp_socket_type;
    #endif
    o->s = NULL;
    return o;
}

static void sp_mp_adopt(sp_mp_socket_t *o, sp_sock_t *s) {
    o->s = s;
    sp_open_count++;
}

static sp_sock_t *sp_mp_sock(mp_obj_t self_in) {
    sp_mp_socket_t *self = MP_OBJ_TO_PTR(self_in);
    return self->s;
}

#define SP_CLOSED_CHECK(s)                                    \
    do {                                                      \
        if ((s) == NULL) {                                    \
            return MP_OBJ_NEW_SMALL_INT(-MP_EBADF);           \
        }                                                     \
    } while (0)

static mp_obj_t sp_mp_close(mp_obj_t self_in) {
    sp_mp_socket_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->s != NULL) {
        sp_sock_t *s = self->s;
        self->s = NULL;
        SP_CORE(sp_close(s));
        sp_open_count--;
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(sp_mp_close_obj, sp_mp_close);

static mp_obj_t sp_mp_fileno(mp_obj_t self_in) {
    (void)self_in;
    return MP_OBJ_NEW_SMALL_INT(-1); /* lwIP descriptors are not the VFS's */
}
static MP_DEFINE_CONST_FUN_OBJ_1(sp_mp_fileno_obj, sp_mp_fileno);

static mp_obj_t sp_mp_bind(mp_obj_t self_in, mp_obj_t ip, mp_obj_t port) {
    sp_sock_t *s = sp_mp_sock(self_in);
    SP_CLOSED_CHECK(s);
    const char *addr = mp_obj_str_get_str(ip);
    int pn = (int)mp_obj_get_int(port), r;
    SP_CORE(r = sp_bind(s, addr, pn));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_mp_bind_obj, sp_mp_bind);

static mp_obj_t sp_mp_listen(mp_obj_t self_in, mp_obj_t backlog) {
    sp_sock_t *s = sp_mp_sock(self_in);
    SP_CLOSED_CHECK(s);
    int b = (int)mp_obj_get_int(backlog), r;
    SP_CORE(r = sp_listen(s, b));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_2(sp_mp_listen_obj, sp_mp_listen);

static mp_obj_t sp_mp_accept(mp_obj_t self_in) {
    sp_sock_t *s = sp_mp_sock(self_in);
    SP_CLOSED_CHECK(s);
    /* the object first: a MemoryError then cannot strand an accepted connection */
    sp_mp_socket_t *o = sp_mp_new();
    sp_sock_t *n = NULL;
    char ip[SP_IPSTR_LEN];
    int port = 0;
    int r;
    SP_CORE(r = sp_accept(s, &n, ip, &port));
    if (r < 0) {
        return sp_result(r);
    }
    sp_mp_adopt(o, n);
    mp_obj_t items[3] = {MP_OBJ_FROM_PTR(o), mp_obj_new_str(ip, strlen(ip)), MP_OBJ_NEW_SMALL_INT(port)};
    return mp_obj_new_tuple(3, items);
}
static MP_DEFINE_CONST_FUN_OBJ_1(sp_mp_accept_obj, sp_mp_accept);

static mp_obj_t sp_mp_connect(mp_obj_t self_in, mp_obj_t ip, mp_obj_t port) {
    sp_sock_t *s = sp_mp_sock(self_in);
    SP_CLOSED_CHECK(s);
    const char *addr = mp_obj_str_get_str(ip);
    int pn = (int)mp_obj_get_int(port), r;
    SP_CORE(r = sp_connect(s, addr, pn));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_mp_connect_obj, sp_mp_connect);

static mp_obj_t sp_mp_connect_result(mp_obj_t self_in) {
    sp_sock_t *s = sp_mp_sock(self_in);
    SP_CLOSED_CHECK(s);
    int r;
    SP_CORE(r = sp_connect_result(s));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_1(sp_mp_connect_result_obj, sp_mp_connect_result);

/* the writable region of buf, at most nbytes; no allocation */
static size_t sp_mp_wbuf(mp_obj_t buf, mp_obj_t nbytes, void **out) {
    mp_buffer_info_t info;
    mp_get_buffer_raise(buf, &info, MP_BUFFER_WRITE);
    mp_int_t n = mp_obj_get_int(nbytes);
    *out = info.buf;
    return (n <= 0 || (size_t)n > info.len) ? info.len : (size_t)n;
}

static mp_obj_t sp_mp_recv_into(mp_obj_t self_in, mp_obj_t buf, mp_obj_t nbytes) {
    sp_sock_t *s = sp_mp_sock(self_in);
    SP_CLOSED_CHECK(s);
    void *p;
    size_t n = sp_mp_wbuf(buf, nbytes, &p);
    int r;
    SP_CORE(r = sp_recv_into(s, p, n));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_mp_recv_into_obj, sp_mp_recv_into);

static mp_obj_t sp_mp_recvfrom_into(mp_obj_t self_in, mp_obj_t buf, mp_obj_t nbytes) {
    sp_sock_t *s = sp_mp_sock(self_in);
    SP_CLOSED_CHECK(s);
    void *p;
    size_t n = sp_mp_wbuf(buf, nbytes, &p);
    char ip[SP_IPSTR_LEN];
    int port = 0;
    int r;
    SP_CORE(r = sp_recvfrom_into(s, p, n, ip, &port));
    if (r < 0) {
        return sp_result(r);
    }
    mp_obj_t items[2] = {MP_OBJ_NEW_SMALL_INT(r), sp_addr_tuple(ip, port)};
    return mp_obj_new_tuple(2, items);
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_mp_recvfrom_into_obj, sp_mp_recvfrom_into);

static mp_obj_t sp_mp_send(mp_obj_t self_in, mp_obj_t data) {
    sp_sock_t *s = sp_mp_sock(self_in);
    SP_CLOSED_CHECK(s);
    mp_buffer_info_t info;
    mp_get_buffer_raise(data, &info, MP_BUFFER_READ);
    int r;
    SP_CORE(r = sp_send(s, info.buf, info.len));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_2(sp_mp_send_obj, sp_mp_send);

static mp_obj_t sp_mp_sendto(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    sp_sock_t *s = sp_mp_sock(args[0]);
    SP_CLOSED_CHECK(s);
    mp_buffer_info_t info;
    mp_get_buffer_raise(args[1], &info, MP_BUFFER_READ);
    const char *addr = mp_obj_str_get_str(args[2]);
    int pn = (int)mp_obj_get_int(args[3]), r;
    SP_CORE(r = sp_sendto(s, info.buf, info.len, addr, pn));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(sp_mp_sendto_obj, 4, 4, sp_mp_sendto);

static mp_obj_t sp_mp_setsockopt(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    sp_sock_t *s = sp_mp_sock(args[0]);
    SP_CLOSED_CHECK(s);
    mp_int_t level = mp_obj_get_int(args[1]), opt = mp_obj_get_int(args[2]);
    if (mp_obj_is_int(args[3])) {
        int v = (int)mp_obj_get_int_truncated(args[3]);
        int r;
        SP_CORE(r = sp_setsockopt(s, (int)level, (int)opt, &v, sizeof(v)));
        return sp_result(r);
    }
    mp_buffer_info_t info;
    mp_get_buffer_raise(args[3], &info, MP_BUFFER_READ);
    int r;
    SP_CORE(r = sp_setsockopt(s, (int)level, (int)opt, info.buf, info.len));
    return sp_result(r);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(sp_mp_setsockopt_obj, 4, 4, sp_mp_setsockopt);

/* the one wait: sliced, GIL released while waiting, pending callbacks and Ctrl-C between */
static int sp_mp_wait(sp_sock_t *s, int events, int32_t timeout_ms) {
    sp_deadline_t deadline;
    sp_deadline_start(&deadline, timeout_ms);
    for (;;) {
        int32_t slice = sp_deadline_slice(&deadline, SP_POLL_SLICE_MS);
        MP_THREAD_GIL_EXIT();
        int ready;
        SP_CORE(ready = sp_poll(s, events, (int)slice));
        MP_THREAD_GIL_ENTER();
        if (ready != 0 || sp_deadline_expired(&deadline)) {
            return ready;
        }
        mp_handle_pending(MP_HANDLE_PENDING_CALLBACKS_AND_EXCEPTIONS);
    }
}

static mp_obj_t sp_mp_poll(mp_obj_t self_in, mp_obj_t events, mp_obj_t timeout_ms) {
    sp_sock_t *s = sp_mp_sock(self_in);
    if (s == NULL) {
        return MP_OBJ_NEW_SMALL_INT(SP_POLLERR | SP_POLLHUP);
    }
    mp_int_t t = mp_obj_get_int(timeout_ms);
    int ev = (int)mp_obj_get_int(events);
    if (t <= 0) {
        int ready;
        SP_CORE(ready = sp_poll(s, ev, 0));
        return MP_OBJ_NEW_SMALL_INT(ready);
    }
    return MP_OBJ_NEW_SMALL_INT(sp_mp_wait(s, ev, (int32_t)t));
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_mp_poll_obj, sp_mp_poll);

/* select.poll() on an engine socket: the stream protocol's MP_STREAM_POLL, never waiting */
static mp_uint_t sp_mp_ioctl(mp_obj_t self_in, mp_uint_t request, uintptr_t arg, int *errcode) {
    sp_sock_t *s = sp_mp_sock(self_in);
    if (request == MP_STREAM_POLL) {
        if (s == NULL) {
            return MP_STREAM_POLL_NVAL;
        }
        /* SP_POLL* are Linux's bits, which are MicroPython's MP_STREAM_POLL_* */
        int ready;
        SP_CORE(ready = sp_poll(s, (int)(arg & (MP_STREAM_POLL_RD | MP_STREAM_POLL_WR)), 0));
        return (mp_uint_t)ready;
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

static mp_obj_t sp_mp_socket(mp_obj_t family, mp_obj_t type, mp_obj_t proto) {
    sp_mp_platform_start();
    sp_mp_socket_t *o = sp_mp_new();
    sp_sock_t *s = NULL;
    int f = (int)mp_obj_get_int(family), t = (int)mp_obj_get_int(type);
    int pr = (int)mp_obj_get_int(proto), r;
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

/* list of (family, ip) for a name, or None; never raises for a failed lookup */
static mp_obj_t sp_mp_getaddrinfo(mp_obj_t host, mp_obj_t family) {
    #if SP_DNS
    const char *name = mp_obj_str_get_str(host);
    int fam = (int)mp_obj_get_int(family);
    sp_addr_t found[SP_RESOLVE_MAX];
    MP_THREAD_GIL_EXIT();
    int n;
    SP_CORE(n = sp_resolve(name, fam, found, SP_RESOLVE_MAX));
    MP_THREAD_GIL_ENTER();
    if (n <= 0) {
        return mp_const_none;
    }
    mp_obj_t list = mp_obj_new_list(0, NULL);
    for (int i = 0; i < n; i++) {
        mp_obj_t items[2] = {MP_OBJ_NEW_SMALL_INT(found[i].family),
                             mp_obj_new_str(found[i].ip, strlen(found[i].ip))};
        mp_obj_list_append(list, mp_obj_new_tuple(2, items));
    }
    return list;
    #else
    (void)host;
    (void)family;
    return mp_const_none;
    #endif
}
static MP_DEFINE_CONST_FUN_OBJ_2(sp_mp_getaddrinfo_obj, sp_mp_getaddrinfo);

/* MAX_SLOTS, IPV6 and RAW are the core's facts, read on access (module __getattr__) */
static mp_obj_t sp_mp_getattr(mp_obj_t attr);
static MP_DEFINE_CONST_FUN_OBJ_1(sp_mp_getattr_obj, sp_mp_getattr);

static const mp_rom_map_elem_t sp_mp_module_table[] = {
    {MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__socketpool)},
    {MP_ROM_QSTR(MP_QSTR___getattr__), MP_ROM_PTR(&sp_mp_getattr_obj)},
    {MP_ROM_QSTR(MP_QSTR_NAME), MP_ROM_QSTR(MP_QSTR_esp32)},
    {MP_ROM_QSTR(MP_QSTR_socket), MP_ROM_PTR(&sp_mp_socket_obj)},
    {MP_ROM_QSTR(MP_QSTR_getaddrinfo), MP_ROM_PTR(&sp_mp_getaddrinfo_obj)},
    {MP_ROM_QSTR(MP_QSTR_live_slots), MP_ROM_PTR(&sp_mp_live_slots_obj)},
};
static MP_DEFINE_CONST_DICT(sp_mp_module_globals, sp_mp_module_table);

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
    return MP_OBJ_NULL; /* not ours: the caller reports AttributeError (or, for __init__ and
                         * the like during import, just finds nothing) */
}

const mp_obj_module_t sp_mp_module = {
    .base = {&mp_type_module},
    .globals = (mp_obj_dict_t *)&sp_mp_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__socketpool, sp_mp_module);
