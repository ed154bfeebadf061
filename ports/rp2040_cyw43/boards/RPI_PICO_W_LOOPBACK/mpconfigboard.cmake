# Test-only board: a Raspberry Pi Pico W firmware for the rp2040js emulator.
# Same as MicroPython's RPI_PICO_W (CYW43 driver built in, never switched on: the emulator has no
# radio) plus lwIP's loopback netif (127.0.0.1), polled every millisecond from a soft timer, so
# that sockets on the board can talk to each other. Bluetooth stays as on RPI_PICO_W (the SDK's
# CYW43 bus glue is only complete with it).
# Build: make -C <micropython>/ports/rp2 BOARD_DIR=<this dir> [USER_C_MODULES=...]

set(PICO_BOARD "pico_w")

set(MICROPY_PY_LWIP ON)
set(MICROPY_PY_NETWORK_CYW43 ON)

set(MICROPY_PY_BLUETOOTH ON)
set(MICROPY_BLUETOOTH_BTSTACK ON)
set(MICROPY_PY_BLUETOOTH_CYW43 ON)

set(MICROPY_FROZEN_MANIFEST ${MICROPY_BOARD_DIR}/manifest.py)
set(MICROPY_BOARD_PINS ${MICROPY_PORT_DIR}/boards/RPI_PICO_W/pins.csv)

list(APPEND MICROPY_SOURCE_BOARD ${CMAKE_CURRENT_LIST_DIR}/sp_loopback.c)

# The loopback netif is always up, so the port's lwIP soft timer stays periodic (in the timer heap)
# across a soft reset, where mod_network_lwip_init() initialises it again in place: the heap gets
# a cycle and the board hangs in mp_pairheap_meld. sp_loopback.c wraps soft_timer_static_init to
# take an entry out of the heap before it is initialised again.
add_link_options(-Wl,--wrap=soft_timer_static_init)
