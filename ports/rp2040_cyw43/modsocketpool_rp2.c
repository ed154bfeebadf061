/*
 * modsocketpool_rp2.c - module `_socketpool` for Pico W MicroPython firmware: the engine
 * interface of docs/engine-interface.md over the raw-API core (sp_core_rp2.c).
 *
 * Thin on purpose: argument unpacking, one errno table (SP_E* -> MicroPython's MP_E*), the
 * platform hooks of ports/common/sp_port.h and sp_deadline.h for MicroPython's rp2 port, and
 * socket objects whose finaliser closes a forgotten core socket (the gc also runs every
 * finaliser at soft reset, which closes every socket the program opened).
 */
#include <string.h>

#include "py/runtime.h"
#include "py/mperrno.h"
#include "py/mphal.h"
#include "py/obj.h"

/* on by default wherever MicroPython has lwIP (RPI_PICO_W) */
#ifndef MICROPY_PY_SOCKETPOOL_RP2
#define MICROPY_PY_SOCKETPOOL_RP2 (MICROPY_PY_LWIP)
#endif

#if MICROPY_PY_SOCKETPOOL_RP2

#include <stdlib.h>

#include "sp_engine.h"
#include "sp_mp_errno.h"
#include "sp_core_rp2.h"
#include "sp_deadline.h"
#include "sp_port.h"
#include "sp_resolve.h"

/* --- platform hooks for the core --- */

#ifndef MICROPY_PY_LWIP_ENTER /* a port that runs lwIP callbacks only from this thread */
#define MICROPY_PY_LWIP_ENTER
#define MICROPY_PY_LWIP_EXIT
#endif

void sp_lock(void) {
    MICROPY_PY_LWIP_ENTER
}

void sp_unlock(void) {
    MICROPY_PY_LWIP_EXIT
}

/* lwIP callbacks run at PendSV level: they only bump a counter */
static volatile uint32_t sp_wakes;

void sp_wake(void) {
    sp_wakes++;
}

uint32_t sp_wake_count(void) {
    return sp_wakes;
}

uint32_t sp_ticks_ms(void) {
    return mp_hal_ticks_ms();
}

#ifndef MICROPY_PY_LWIP_POLL_HOOK
#define MICROPY_PY_LWIP_POLL_HOOK
#endif

/* keeps lwIP's timers running and MicroPython's events (Ctrl-C, scheduled callbacks) served:
 * a KeyboardInterrupt raised here unwinds through sp_poll, which holds nothing at this point */
void sp_wait(uint32_t seen, uint32_t ms) {
    uint32_t start = mp_hal_ticks_ms();
    while (sp_wakes == seen && mp_hal_ticks_ms() - start < ms) {
        MICROPY_PY_LWIP_POLL_HOOK
        mp_event_wait_ms(1);
    }
}

/* sockets and accept queues live on the gc heap, tracked so the gc keeps them */
void *sp_rp2_calloc(size_t n, size_t size) {
    #if MICROPY_TRACKED_ALLOC
    return m_tracked_calloc(n, size);
    #else
    return calloc(n, size);
    #endif
}

void sp_rp2_free(void *p) {
    #if MICROPY_TRACKED_ALLOC
    m_tracked_free(p);
    #else
    free(p);
    #endif
}

/* --- errors: SP_E* -> this interpreter's errno, through the one table (ports/common/sp_mp_errno.h) --- */

static mp_obj_t sp_result(int r) {
    return MP_OBJ_NEW_SMALL_INT(sp_mp_result(r));
}

/* --- engine socket objects --- */

typedef struct _sp_obj_t {
    mp_obj_base_t base;
    sp_sock_t *s; /* NULL once closed */
} sp_obj_t;

static const mp_obj_type_t sp_socket_type;

/* allocated before the core socket, so a MemoryError here leaks nothing */
static sp_obj_t *sp_obj_new(void) {
    sp_obj_t *o = mp_obj_malloc_with_finaliser(sp_obj_t, &sp_socket_type);
    o->s = NULL;
    return o;
}

static sp_sock_t *sp_get(mp_obj_t self_in) {
    return ((sp_obj_t *)MP_OBJ_TO_PTR(self_in))->s;
}

#define SP_LIVE(var, self_in) \
    sp_sock_t *var = sp_get(self_in); \
    if (var == NULL) { \
        return sp_result(-SP_EBADF); \
    }

static mp_obj_t sp_ip_str(const char *ip) {
    return mp_obj_new_str(ip, strlen(ip));
}

static mp_obj_t sp_sock_bind(mp_obj_t self_in, mp_obj_t ip_in, mp_obj_t port_in) {
    SP_LIVE(s, self_in);
    return sp_result(sp_bind(s, mp_obj_str_get_str(ip_in), mp_obj_get_int(port_in)));
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_sock_bind_obj, sp_sock_bind);

static mp_obj_t sp_sock_listen(mp_obj_t self_in, mp_obj_t backlog_in) {
    SP_LIVE(s, self_in);
    return sp_result(sp_listen(s, mp_obj_get_int(backlog_in)));
}
static MP_DEFINE_CONST_FUN_OBJ_2(sp_sock_listen_obj, sp_sock_listen);

static mp_obj_t sp_sock_accept(mp_obj_t self_in) {
    SP_LIVE(s, self_in);
    /* the object is allocated only when a connection is pending (no garbage per EAGAIN) and
     * before the core hands it over, so a MemoryError cannot strand a core socket */
    sp_obj_t *o = (sp_poll(s, SP_POLLIN, 0) & SP_POLLIN) ? sp_obj_new() : NULL;
    sp_sock_t *ns;
    char ip[SP_IPSTR_LEN];
    int port = 0;
    int r = sp_accept(s, &ns, ip, &port);
    if (r < 0) {
        return sp_result(r);
    }
    if (o == NULL) { /* a connection arrived just after the look */
        nlr_buf_t nlr;
        if (nlr_push(&nlr) == 0) {
            o = sp_obj_new();
            nlr_pop();
        } else {
            sp_close(ns);
            nlr_jump(nlr.ret_val);
        }
    }
    o->s = ns;
    mp_obj_t items[3] = {MP_OBJ_FROM_PTR(o), sp_ip_str(ip), MP_OBJ_NEW_SMALL_INT(port)};
    return mp_obj_new_tuple(3, items);
}
static MP_DEFINE_CONST_FUN_OBJ_1(sp_sock_accept_obj, sp_sock_accept);

static mp_obj_t sp_sock_connect(mp_obj_t self_in, mp_obj_t ip_in, mp_obj_t port_in) {
    SP_LIVE(s, self_in);
    return sp_result(sp_connect(s, mp_obj_str_get_str(ip_in), mp_obj_get_int(port_in)));
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_sock_connect_obj, sp_sock_connect);

static mp_obj_t sp_sock_connect_result(mp_obj_t self_in) {
    SP_LIVE(s, self_in);
    return sp_result(sp_connect_result(s));
}
static MP_DEFINE_CONST_FUN_OBJ_1(sp_sock_connect_result_obj, sp_sock_connect_result);

static size_t sp_clamp(mp_obj_t nbytes_in, size_t len) {
    mp_int_t n = mp_obj_get_int(nbytes_in);
    return n < 0 ? 0 : ((size_t)n < len ? (size_t)n : len);
}

/* allocates nothing: the result is a small int */
static mp_obj_t sp_sock_recv_into(mp_obj_t self_in, mp_obj_t buf_in, mp_obj_t nbytes_in) {
    SP_LIVE(s, self_in);
    mp_buffer_info_t bi;
    mp_get_buffer_raise(buf_in, &bi, MP_BUFFER_WRITE);
    return sp_result(sp_recv_into(s, bi.buf, sp_clamp(nbytes_in, bi.len)));
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_sock_recv_into_obj, sp_sock_recv_into);

static mp_obj_t sp_sock_recvfrom_into(mp_obj_t self_in, mp_obj_t buf_in, mp_obj_t nbytes_in) {
    SP_LIVE(s, self_in);
    mp_buffer_info_t bi;
    mp_get_buffer_raise(buf_in, &bi, MP_BUFFER_WRITE);
    char ip[SP_IPSTR_LEN];
    int port = 0;
    int r = sp_recvfrom_into(s, bi.buf, sp_clamp(nbytes_in, bi.len), ip, &port);
    if (r < 0) {
        return sp_result(r);
    }
    mp_obj_t addr[2] = {sp_ip_str(ip), MP_OBJ_NEW_SMALL_INT(port)};
    mp_obj_t items[2] = {MP_OBJ_NEW_SMALL_INT(r), mp_obj_new_tuple(2, addr)};
    return mp_obj_new_tuple(2, items);
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_sock_recvfrom_into_obj, sp_sock_recvfrom_into);

static mp_obj_t sp_sock_send(mp_obj_t self_in, mp_obj_t data_in) {
    SP_LIVE(s, self_in);
    mp_buffer_info_t bi;
    mp_get_buffer_raise(data_in, &bi, MP_BUFFER_READ);
    return sp_result(sp_send(s, bi.buf, bi.len));
}
static MP_DEFINE_CONST_FUN_OBJ_2(sp_sock_send_obj, sp_sock_send);

static mp_obj_t sp_sock_sendto(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    SP_LIVE(s, args[0]);
    mp_buffer_info_t bi;
    mp_get_buffer_raise(args[1], &bi, MP_BUFFER_READ);
    return sp_result(sp_sendto(s, bi.buf, bi.len, mp_obj_str_get_str(args[2]), mp_obj_get_int(args[3])));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(sp_sock_sendto_obj, 4, 4, sp_sock_sendto);

static mp_obj_t sp_sock_setsockopt(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    SP_LIVE(s, args[0]);
    mp_int_t level = mp_obj_get_int(args[1]);
    mp_int_t opt = mp_obj_get_int(args[2]);
    if (mp_obj_is_int(args[3])) {
        int v = (int)mp_obj_get_int(args[3]);
        return sp_result(sp_setsockopt(s, level, opt, &v, sizeof(v)));
    }
    mp_buffer_info_t bi;
    mp_get_buffer_raise(args[3], &bi, MP_BUFFER_READ);
    return sp_result(sp_setsockopt(s, level, opt, bi.buf, bi.len));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(sp_sock_setsockopt_obj, 4, 4, sp_sock_setsockopt);

/* waits at most timeout_ms, serving events (the API layer passes slices of <= 100 ms) */
static mp_obj_t sp_sock_poll(mp_obj_t self_in, mp_obj_t events_in, mp_obj_t timeout_in) {
    sp_sock_t *s = sp_get(self_in);
    if (s == NULL) {
        return MP_OBJ_NEW_SMALL_INT(SP_POLLERR | SP_POLLHUP);
    }
    return MP_OBJ_NEW_SMALL_INT(sp_poll(s, mp_obj_get_int(events_in), mp_obj_get_int(timeout_in)));
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_sock_poll_obj, sp_sock_poll);

static mp_obj_t sp_sock_fileno(mp_obj_t self_in) {
    (void)self_in;
    return MP_OBJ_NEW_SMALL_INT(-1);
}
static MP_DEFINE_CONST_FUN_OBJ_1(sp_sock_fileno_obj, sp_sock_fileno);

/* close() and the finaliser: at most once reaches the core */
static mp_obj_t sp_sock_close(mp_obj_t self_in) {
    sp_obj_t *o = MP_OBJ_TO_PTR(self_in);
    sp_sock_t *s = o->s;
    if (s != NULL) {
        o->s = NULL;
        sp_close(s);
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(sp_sock_close_obj, sp_sock_close);

static const mp_rom_map_elem_t sp_socket_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&sp_sock_close_obj) },
    { MP_ROM_QSTR(MP_QSTR_close), MP_ROM_PTR(&sp_sock_close_obj) },
    { MP_ROM_QSTR(MP_QSTR_bind), MP_ROM_PTR(&sp_sock_bind_obj) },
    { MP_ROM_QSTR(MP_QSTR_listen), MP_ROM_PTR(&sp_sock_listen_obj) },
    { MP_ROM_QSTR(MP_QSTR_accept), MP_ROM_PTR(&sp_sock_accept_obj) },
    { MP_ROM_QSTR(MP_QSTR_connect), MP_ROM_PTR(&sp_sock_connect_obj) },
    { MP_ROM_QSTR(MP_QSTR_connect_result), MP_ROM_PTR(&sp_sock_connect_result_obj) },
    { MP_ROM_QSTR(MP_QSTR_recv_into), MP_ROM_PTR(&sp_sock_recv_into_obj) },
    { MP_ROM_QSTR(MP_QSTR_recvfrom_into), MP_ROM_PTR(&sp_sock_recvfrom_into_obj) },
    { MP_ROM_QSTR(MP_QSTR_send), MP_ROM_PTR(&sp_sock_send_obj) },
    { MP_ROM_QSTR(MP_QSTR_sendto), MP_ROM_PTR(&sp_sock_sendto_obj) },
    { MP_ROM_QSTR(MP_QSTR_setsockopt), MP_ROM_PTR(&sp_sock_setsockopt_obj) },
    { MP_ROM_QSTR(MP_QSTR_poll), MP_ROM_PTR(&sp_sock_poll_obj) },
    { MP_ROM_QSTR(MP_QSTR_fileno), MP_ROM_PTR(&sp_sock_fileno_obj) },
};
static MP_DEFINE_CONST_DICT(sp_socket_locals_dict, sp_socket_locals_dict_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    sp_socket_type,
    MP_QSTR_EngineSocket,
    MP_TYPE_FLAG_NONE,
    locals_dict, &sp_socket_locals_dict
    );

/* --- module-level names --- */

static mp_obj_t sp_mod_socket(mp_obj_t family_in, mp_obj_t type_in, mp_obj_t proto_in) {
    sp_obj_t *o = sp_obj_new();
    sp_sock_t *s;
    int r = sp_socket(mp_obj_get_int(family_in), mp_obj_get_int(type_in), mp_obj_get_int(proto_in), &s);
    if (r < 0) {
        return sp_result(r);
    }
    o->s = s;
    return MP_OBJ_FROM_PTR(o);
}
static MP_DEFINE_CONST_FUN_OBJ_3(sp_mod_socket_obj, sp_mod_socket);

/* (family, ip) pairs for a name through lwIP's DNS client, or None; never prints */
static mp_obj_t sp_mod_getaddrinfo(mp_obj_t host_in, mp_obj_t family_in) {
    sp_addr_t found[SP_RESOLVE_MAX];
    int n = sp_resolve(mp_obj_str_get_str(host_in), mp_obj_get_int(family_in), found, SP_RESOLVE_MAX);
    if (n <= 0) {
        return mp_const_none;
    }
    mp_obj_t list = mp_obj_new_list(0, NULL);
    for (int i = 0; i < n; i++) {
        mp_obj_t pair[2] = {MP_OBJ_NEW_SMALL_INT(found[i].family), sp_ip_str(found[i].ip)};
        mp_obj_list_append(list, mp_obj_new_tuple(2, pair));
    }
    return list;
}
static MP_DEFINE_CONST_FUN_OBJ_2(sp_mod_getaddrinfo_obj, sp_mod_getaddrinfo);

static mp_obj_t sp_mod_live_slots(void) {
    return MP_OBJ_NEW_SMALL_INT(sp_rp2_open_count());
}
static MP_DEFINE_CONST_FUN_OBJ_0(sp_mod_live_slots_obj, sp_mod_live_slots);

static const mp_rom_map_elem_t sp_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__socketpool) },
    { MP_ROM_QSTR(MP_QSTR_NAME), MP_ROM_QSTR(MP_QSTR_rp2) },
    { MP_ROM_QSTR(MP_QSTR_MAX_SLOTS), MP_ROM_INT(SP_RP2_SLOTS) },
    { MP_ROM_QSTR(MP_QSTR_IPV6), MP_ROM_FALSE },
    { MP_ROM_QSTR(MP_QSTR_RAW), MP_ROM_FALSE },
    { MP_ROM_QSTR(MP_QSTR_socket), MP_ROM_PTR(&sp_mod_socket_obj) },
    { MP_ROM_QSTR(MP_QSTR_getaddrinfo), MP_ROM_PTR(&sp_mod_getaddrinfo_obj) },
    { MP_ROM_QSTR(MP_QSTR_live_slots), MP_ROM_PTR(&sp_mod_live_slots_obj) },
};
static MP_DEFINE_CONST_DICT(sp_module_globals, sp_module_globals_table);

const mp_obj_module_t sp_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&sp_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__socketpool, sp_module);

#endif /* MICROPY_PY_SOCKETPOOL_RP2 */
