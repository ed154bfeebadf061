/*
 * sp_resolve.h - name lookup through the stack's DNS client (only where SP_DNS is 1).
 *
 * Host builds have no lwIP DNS (Debian's liblwip-dev is built without it): there the Python
 * driver resolves with the host's resolver and never calls this. Firmware cores implement it
 * (esp32: lwip_getaddrinfo; rp2: dns_gethostbyname and its callback). It may block up to the
 * stack's DNS timeout.
 */
#ifndef SP_RESOLVE_H
#define SP_RESOLVE_H

#include "sp_engine.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sp_addr {
    int family; /* 2 or 10 (lwIP numbering) */
    char ip[SP_IPSTR_LEN];
} sp_addr_t;

/* family 0: any. Returns how many of out[0..max) were filled (0: name not found), or -SP_Exxx */
int sp_resolve(const char *host, int family, sp_addr_t *out, int max);

#ifdef __cplusplus
}
#endif

#endif
