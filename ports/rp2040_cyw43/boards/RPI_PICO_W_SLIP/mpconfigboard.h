// Test-only board: RPI_PICO_W_LOOPBACK plus a SLIP netif on UART1 (sp_slip.c).
#include "../RPI_PICO_W_LOOPBACK/mpconfigboard.h"

#undef MICROPY_HW_BOARD_NAME
#define MICROPY_HW_BOARD_NAME "Raspberry Pi Pico W (socketpool SLIP test board)"

// The link's fixed addresses: the board, and the far end (the TUN device of the harness's
// network namespace). Point-to-point: the SLIP netif is the default route.
#define SP_SLIP_BOARD_ADDR "10.78.0.2"
#define SP_SLIP_PEER_ADDR "10.78.0.1"

// SLIP frames are polled from a soft timer (NO_SYS=1: no receive thread).
#define SLIP_USE_RX_THREAD (0)

#undef MICROPY_BOARD_EARLY_INIT
void sp_slip_board_init(void);
#define MICROPY_BOARD_EARLY_INIT() sp_slip_board_init()
