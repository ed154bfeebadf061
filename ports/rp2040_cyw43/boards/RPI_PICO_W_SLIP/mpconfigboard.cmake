# Test-only board: the RPI_PICO_W_LOOPBACK board (MicroPython's RPI_PICO_W plus lwIP's loopback
# netif) with a second netif, SLIP over UART1, that reaches the computer running the emulator.
# The harness's rp2040js target bridges the emulated UART1 to a TUN device in a network namespace
# it makes (tools/socketpool_tools/slip_link.py), so the board is 10.78.0.2 and the suite's peers
# listen on 10.78.0.1. Not meant for a real Pico W (nothing on its UART1 pins speaks SLIP).
# Build: make -C <micropython>/ports/rp2 BOARD_DIR=<this dir> [USER_C_MODULES=...]
#    or: socketpool build --port rp2 --board-dir <this dir>

include(${MICROPY_BOARD_DIR}/../RPI_PICO_W_LOOPBACK/mpconfigboard.cmake)

# SLIP: lwIP's own netif/slipif.c (not in the rp2 port's lwIP source list) and the serial glue.
list(APPEND MICROPY_SOURCE_BOARD
    ${MICROPY_BOARD_DIR}/sp_slip.c
    ${MICROPY_DIR}/lib/lwip/src/netif/slipif.c
)

# The board's own frozen modules (RPI_PICO_W's), named here too so that `socketpool build` finds them.
set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)
