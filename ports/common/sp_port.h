/*
 * sp_port.h - lock and wake hooks a platform provides to a native core.
 *
 * A raw-API core (rp2) touches lwIP PCBs only between sp_lock()/sp_unlock() (host:
 * LOCK_TCPIP_CORE; Pico W: cyw43_arch_lwip_begin/end). Its lwIP callbacks call sp_wake(); a
 * waiting call reads sp_wake_count() while locked, unlocks, re-checks nothing, and calls
 * sp_wait(seen, ms), which returns as soon as the count differs from `seen` (so a wake between
 * the check and the wait is never lost) or after ms milliseconds. A BSD-socket core (esp32)
 * needs none of these: lwIP's socket layer locks and waits by itself.
 */
#ifndef SP_PORT_H
#define SP_PORT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

void sp_lock(void);
void sp_unlock(void);

/* from any context, lwIP's thread or an interrupt: something a waiter may want changed */
void sp_wake(void);
uint32_t sp_wake_count(void);
/* unlocked: sleep until sp_wake_count() != seen or ms elapsed (ms 0: return at once) */
void sp_wait(uint32_t seen, uint32_t ms);

#ifdef __cplusplus
}
#endif

#endif
