/*
 * sp_mp_errno.h - the one table from the cores' SP_E* codes to MicroPython's errno, for the
 * MicroPython bindings (the only users that include MicroPython headers).
 *
 * MicroPython's mperrno.h lacks four names the cores use. Where MP_E* are the system's errno
 * (MICROPY_USE_INTERNAL_ERRNO off: esp32's newlib, unix's libc) the system's values are taken;
 * otherwise (internal errno, as on rp2) Linux's numbers, which that table follows.
 */
#ifndef SP_MP_ERRNO_H
#define SP_MP_ERRNO_H

#include <errno.h>

#include "py/mperrno.h"
#include "sp_engine.h"

#if MICROPY_USE_INTERNAL_ERRNO || !defined(EMSGSIZE)
#define SP_MP_EMSGSIZE (90)
#define SP_MP_ENOPROTOOPT (92)
#define SP_MP_EADDRNOTAVAIL (99)
#define SP_MP_ENETUNREACH (101)
#else
#define SP_MP_EMSGSIZE EMSGSIZE
#define SP_MP_ENOPROTOOPT ENOPROTOOPT
#define SP_MP_EADDRNOTAVAIL EADDRNOTAVAIL
#define SP_MP_ENETUNREACH ENETUNREACH
#endif

/* a core result as the binding returns it: itself when >= 0, else minus MicroPython's errno */
static inline int sp_mp_result(int r) {
    static const uint8_t table[SP_E_COUNT] = {
        [SP_OK] = 0,
        [SP_EAGAIN] = MP_EAGAIN,
        [SP_EINPROGRESS] = MP_EINPROGRESS,
        [SP_EALREADY] = MP_EALREADY,
        [SP_EISCONN] = MP_EISCONN,
        [SP_ENOTCONN] = MP_ENOTCONN,
        [SP_ECONNREFUSED] = MP_ECONNREFUSED,
        [SP_ECONNRESET] = MP_ECONNRESET,
        [SP_ECONNABORTED] = MP_ECONNABORTED,
        [SP_EPIPE] = MP_EPIPE,
        [SP_EBADF] = MP_EBADF,
        [SP_EINVAL] = MP_EINVAL,
        [SP_EADDRINUSE] = MP_EADDRINUSE,
        [SP_EADDRNOTAVAIL] = SP_MP_EADDRNOTAVAIL,
        [SP_EHOSTUNREACH] = MP_EHOSTUNREACH,
        [SP_ENETUNREACH] = SP_MP_ENETUNREACH,
        [SP_EMSGSIZE] = SP_MP_EMSGSIZE,
        [SP_ENOPROTOOPT] = SP_MP_ENOPROTOOPT,
        [SP_EOPNOTSUPP] = MP_EOPNOTSUPP,
        [SP_ENOMEM] = MP_ENOMEM,
        [SP_ENOBUFS] = MP_ENOBUFS,
        [SP_ETIMEDOUT] = MP_ETIMEDOUT,
        [SP_EAFNOSUPPORT] = MP_EAFNOSUPPORT,
        [SP_EPERM] = MP_EPERM,
        [SP_EIO] = MP_EIO,
        [SP_EACCES] = MP_EACCES,
    };
    if (r >= 0) {
        return r;
    }
    int code = r > -SP_E_COUNT ? -r : SP_EIO;
    return -(int)(table[code] ? table[code] : MP_EIO);
}

#endif
