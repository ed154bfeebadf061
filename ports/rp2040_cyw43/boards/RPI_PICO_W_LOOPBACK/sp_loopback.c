// Test-only board support: deliver packets queued on lwIP's loopback netif.
//
// lwIP built with NO_SYS=1 queues every packet sent to 127.0.0.1 (or to the board's own address)
// and hands it to the stack only when netif_poll() runs. A static soft timer calls
// netif_poll_all() every millisecond. Soft-timer callbacks run at PendSV level on the rp2 port,
// which the port's lwIP lock holds off, so this never runs inside another lwIP call.

#include "py/mpconfig.h"
#include "shared/runtime/softtimer.h"
#include "lwip/netif.h"

#define SP_LOOPBACK_POLL_MS (1)

static soft_timer_entry_t sp_loopback_timer;

static void sp_loopback_poll(soft_timer_entry_t *self) {
    (void)self;
    netif_poll_all();
}

void sp_loopback_board_init(void) {
    // A static (not GC-allocated) timer: it survives soft resets.
    soft_timer_static_init(&sp_loopback_timer, SOFT_TIMER_MODE_PERIODIC, SP_LOOPBACK_POLL_MS,
        sp_loopback_poll);
    soft_timer_insert(&sp_loopback_timer, SP_LOOPBACK_POLL_MS);
}
