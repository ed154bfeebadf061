// Test-only board: MicroPython's RPI_PICO_W configuration plus lwIP's loopback netif.
#include "boards/RPI_PICO_W/mpconfigboard.h"

#undef MICROPY_HW_BOARD_NAME
#define MICROPY_HW_BOARD_NAME "Raspberry Pi Pico W (socketpool loopback test board)"

// lwIP: add the loopback interface (127.0.0.1/8) and loop packets sent to our own addresses.
// With NO_SYS=1 looped packets wait in a queue until netif_poll_all() runs (sp_loopback.c).
#define LWIP_HAVE_LOOPIF (1)
#define LWIP_NETIF_LOOPBACK (1)

// The TCP settings of the stock Pico W firmware (lwipopts_common.h), with a larger lwIP heap: a
// looped segment is copied into the heap until the next poll, next to the sender's own copy in
// its send buffer, so the stock 8000 bytes run out (tcp_write/tcp_output: ERR_MEM -> ENOMEM)
// under bulk transfer over loopback. Defining MEM_SIZE skips the stock block, so the rest of
// it is repeated here unchanged.
#define MEM_SIZE (24000)
#define TCP_MSS (800)
#define TCP_WND (8 * TCP_MSS)
#define TCP_SND_BUF (8 * TCP_MSS)
#define MEMP_NUM_TCP_SEG (32)

// Start the loopback poll timer once lwIP is initialised (main.c calls this after lwip_init()).
void sp_loopback_board_init(void);
#define MICROPY_BOARD_EARLY_INIT() sp_loopback_board_init()
