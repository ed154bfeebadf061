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

// Linked with -Wl,--wrap=soft_timer_static_init (mpconfigboard.cmake). The rp2 port initialises its
// static lwIP timer again on every soft reset; with a netif that is always up that timer is still in
// the soft-timer heap then, and initialising a linked node corrupts the heap. Remove an entry that
// was initialised before (soft_timer_remove is a no-op for an entry not in the heap).
void __real_soft_timer_static_init(soft_timer_entry_t *entry, uint16_t mode, uint32_t delta_ms,
    void (*cb)(soft_timer_entry_t *));

void __wrap_soft_timer_static_init(soft_timer_entry_t *entry, uint16_t mode, uint32_t delta_ms,
    void (*cb)(soft_timer_entry_t *)) {
    if (entry->c_callback != NULL) {
        soft_timer_remove(entry);
    }
    __real_soft_timer_static_init(entry, mode, delta_ms, cb);
}

void sp_loopback_board_init(void) {
    // A static (not GC-allocated) timer: it survives soft resets.
    soft_timer_static_init(&sp_loopback_timer, SOFT_TIMER_MODE_PERIODIC, SP_LOOPBACK_POLL_MS,
        sp_loopback_poll);
    soft_timer_insert(&sp_loopback_timer, SP_LOOPBACK_POLL_MS);
}
