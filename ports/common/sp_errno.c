/*
 * sp_errno.c - names of the portable SP_E* codes (sp_engine.h).
 *
 * Front ends translate SP_E* to their interpreter's errno with one table of their own; this file
 * only names the codes (for logs, the host driver and tests), so it needs no libc errno.
 */
#include "sp_engine.h"

static const char *const sp_errnames[SP_E_COUNT] = {
    [SP_OK] = "OK",
    [SP_EAGAIN] = "EAGAIN",
    [SP_EINPROGRESS] = "EINPROGRESS",
    [SP_EALREADY] = "EALREADY",
    [SP_EISCONN] = "EISCONN",
    [SP_ENOTCONN] = "ENOTCONN",
    [SP_ECONNREFUSED] = "ECONNREFUSED",
    [SP_ECONNRESET] = "ECONNRESET",
    [SP_ECONNABORTED] = "ECONNABORTED",
    [SP_EPIPE] = "EPIPE",
    [SP_EBADF] = "EBADF",
    [SP_EINVAL] = "EINVAL",
    [SP_EADDRINUSE] = "EADDRINUSE",
    [SP_EADDRNOTAVAIL] = "EADDRNOTAVAIL",
    [SP_EHOSTUNREACH] = "EHOSTUNREACH",
    [SP_ENETUNREACH] = "ENETUNREACH",
    [SP_EMSGSIZE] = "EMSGSIZE",
    [SP_ENOPROTOOPT] = "ENOPROTOOPT",
    [SP_EOPNOTSUPP] = "EOPNOTSUPP",
    [SP_ENOMEM] = "ENOMEM",
    [SP_ENOBUFS] = "ENOBUFS",
    [SP_ETIMEDOUT] = "ETIMEDOUT",
    [SP_EAFNOSUPPORT] = "EAFNOSUPPORT",
    [SP_EPERM] = "EPERM",
    [SP_EIO] = "EIO",
    [SP_EACCES] = "EACCES",
};

const char *sp_errname(int code) {
    if (code < 0 && code > -SP_E_COUNT) {
        code = -code;
    }
    if (code >= 0 && code < SP_E_COUNT && sp_errnames[code] != NULL) {
        return sp_errnames[code];
    }
    return "EIO";
}
