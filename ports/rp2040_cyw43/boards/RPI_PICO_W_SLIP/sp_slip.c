// Test-only board support: a SLIP netif over UART1 to the computer running the emulator.
//
// lwIP's netif/slipif.c frames IP packets; this file is its serial layer (sio_open, sio_send,
// sio_tryread) on UART1, and a static 1 ms soft timer that feeds received bytes to slipif_poll().
// Soft-timer callbacks run at PendSV level on the rp2 port, which the port's lwIP lock holds off,
// so the poll never runs inside another lwIP call. The netif is added once, at boot, right after
// lwip_init() (MICROPY_BOARD_EARLY_INIT), and is static: it survives soft resets.
//
// In rp2040js the far end (the launcher, tools/socketpool_tools/rp2040js_run.cjs) refills the
// 32-byte receive FIFO as the firmware reads it (as a sender with hardware flow control would), and
// transmitted bytes leave at once, so the baud rate set here is nominal.

#include "py/mpconfig.h"
#include "shared/runtime/softtimer.h"
#include "hardware/gpio.h"
#include "hardware/uart.h"
#include "lwip/ip4_addr.h"
#include "lwip/ip.h"
#include "lwip/netif.h"
#include "lwip/sio.h"
#include "netif/slipif.h"

#define SP_SLIP_UART (uart1)
#define SP_SLIP_TX_PIN (4)
#define SP_SLIP_RX_PIN (5)
#define SP_SLIP_BAUD (921600)
#define SP_SLIP_POLL_MS (1)

void sp_loopback_board_init(void);

static struct netif sp_slip_netif;
static soft_timer_entry_t sp_slip_timer;

sio_fd_t sio_open(u8_t devnum) {
    (void)devnum;
    uart_init(SP_SLIP_UART, SP_SLIP_BAUD);
    gpio_set_function(SP_SLIP_TX_PIN, GPIO_FUNC_UART);
    gpio_set_function(SP_SLIP_RX_PIN, GPIO_FUNC_UART);
    return (sio_fd_t)SP_SLIP_UART;
}

void sio_send(u8_t c, sio_fd_t fd) {
    uart_putc_raw((uart_inst_t *)fd, (char)c);
}

u32_t sio_tryread(sio_fd_t fd, u8_t *data, u32_t len) {
    uart_inst_t *uart = (uart_inst_t *)fd;
    u32_t n = 0;
    while (n < len && uart_is_readable(uart)) {
        data[n++] = (u8_t)uart_getc(uart);
    }
    return n;
}

static void sp_slip_poll(soft_timer_entry_t *self) {
    (void)self;
    slipif_poll(&sp_slip_netif);
}

void sp_slip_board_init(void) {
    sp_loopback_board_init();

    ip4_addr_t addr, mask, gw;
    ip4addr_aton(SP_SLIP_BOARD_ADDR, &addr);
    ip4addr_aton("255.255.255.0", &mask);
    ip4addr_aton(SP_SLIP_PEER_ADDR, &gw);
    netif_add(&sp_slip_netif, &addr, &mask, &gw, NULL, slipif_init, ip_input);
    netif_set_default(&sp_slip_netif);
    netif_set_link_up(&sp_slip_netif);
    netif_set_up(&sp_slip_netif);

    soft_timer_static_init(&sp_slip_timer, SOFT_TIMER_MODE_PERIODIC, SP_SLIP_POLL_MS, sp_slip_poll);
    soft_timer_insert(&sp_slip_timer, SP_SLIP_POLL_MS);
}
