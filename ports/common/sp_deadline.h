/*
 * sp_deadline.h - the one deadline helper of the native engines.
 *
 * The API layer keeps a socket's timeout; a C wait that must stay bounded (a sliced poll in a
 * binding, a close linger, a core's internal wait) measures it with this helper. The clock is a
 * platform hook: whoever links a core provides sp_ticks_ms() (MicroPython binding:
 * mp_hal_ticks_ms(); host build: CLOCK_MONOTONIC; Pico SDK: to_ms_since_boot()).
 * Arithmetic is modulo 2^32, so the clock may wrap.
 */
#ifndef SP_DEADLINE_H
#define SP_DEADLINE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* platform hook: a monotonic millisecond counter (wraps modulo 2^32) */
uint32_t sp_ticks_ms(void);

/* SP_FOREVER as timeout_ms: no deadline */
#define SP_FOREVER (-1)

typedef struct sp_deadline {
    uint32_t start;
    int32_t timeout_ms; /* < 0: forever */
} sp_deadline_t;

static inline void sp_deadline_start(sp_deadline_t *d, int32_t timeout_ms) {
    d->start = sp_ticks_ms();
    d->timeout_ms = timeout_ms;
}

/* milliseconds left (0 when expired), or SP_FOREVER */
static inline int32_t sp_deadline_left(const sp_deadline_t *d) {
    if (d->timeout_ms < 0) {
        return SP_FOREVER;
    }
    uint32_t spent = sp_ticks_ms() - d->start;
    return spent >= (uint32_t)d->timeout_ms ? 0 : (int32_t)((uint32_t)d->timeout_ms - spent);
}

static inline int sp_deadline_expired(const sp_deadline_t *d) {
    return sp_deadline_left(d) == 0;
}

/* the next wait slice: what is left, capped at slice_ms (so callers regain control often) */
static inline int32_t sp_deadline_slice(const sp_deadline_t *d, int32_t slice_ms) {
    int32_t left = sp_deadline_left(d);
    return (left < 0 || left > slice_ms) ? slice_ms : left;
}

#ifdef __cplusplus
}
#endif

#endif
