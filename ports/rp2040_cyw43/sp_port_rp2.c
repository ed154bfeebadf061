/*
 * sp_port_rp2.c - what MicroPython's rp2 port provides to the raw-API core (sp_core_rp2.c):
 * the lwIP lock, the wake counter and the wait of ports/common/sp_port.h, and the core's memory
 * (sp_core_rp2.h). Nothing else: the binding is ports/common/modsocketpool.c; DNS is the core's
 * (lwIP's dns_gethostbyname).
 */
#include <stdlib.h>

#include "py/runtime.h"
#include "py/mphal.h"

#include "sp_core_rp2.h"
#include "sp_port.h"

#ifndef MICROPY_PY_LWIP_ENTER /* a port that runs lwIP callbacks only from this thread */
#define MICROPY_PY_LWIP_ENTER
#define MICROPY_PY_LWIP_EXIT
#endif

#ifndef MICROPY_PY_LWIP_POLL_HOOK
#define MICROPY_PY_LWIP_POLL_HOOK
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

/* keeps lwIP's timers running and MicroPython's events served while waiting; a KeyboardInterrupt
 * raised here unwinds through sp_poll, which holds nothing at this point, to the binding's wait
 * (which catches it to end the core call, then raises it on) */
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
