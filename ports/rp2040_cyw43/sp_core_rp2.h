/*
 * sp_core_rp2.h - what the Pico W core offers beyond ports/common/sp_engine.h, and the one hook
 * it needs beyond ports/common/sp_port.h (lock, wake, wait) and sp_deadline.h (clock).
 */
#ifndef SP_CORE_RP2_H
#define SP_CORE_RP2_H

#include <stddef.h>

#include "lwip/opt.h"

#include "sp_engine.h"

/* socket slots: SP_MAX_SLOTS, but never more than lwIP's fixed pool of TCP PCBs (firmware), so
 * running out is the API layer's RuntimeError('Out of sockets'), not ENOMEM from lwIP */
#if !MEMP_MEM_MALLOC && MEMP_NUM_TCP_PCB < SP_MAX_SLOTS
#define SP_RP2_SLOTS MEMP_NUM_TCP_PCB
#else
#define SP_RP2_SLOTS SP_MAX_SLOTS
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Memory for sockets and accept queues, asked for in user context only (never in a callback).
 * Default: the C library's calloc/free. A host whose C heap is not the right place (MicroPython
 * firmware: the gc-tracked heap) builds with -DSP_RP2_EXTERNAL_ALLOC=1 and defines these. */
void *sp_rp2_calloc(size_t n, size_t size);
void sp_rp2_free(void *p);

/* sockets of this core open right now (the binding's live_slots: gc finalises forgotten ones) */
int sp_rp2_open_count(void);

#ifdef __cplusplus
}
#endif

#endif
