# MicroPython user C module: the Pico W native socketpool engine (module `_socketpool`).
#
#   make -C ports/rp2 BOARD=RPI_PICO_W USER_C_MODULES=/path/to/ports/rp2040_cyw43/micropython.cmake
#
# Needs MICROPY_PY_LWIP (on for RPI_PICO_W). The binding is ports/common/modsocketpool.c, shared
# with the ESP32 engine (ports/common/socketpool.cmake); the core is plain C over lwIP's raw API;
# sp_port_rp2.c is what the port provides to it: the lock (MICROPY_PY_LWIP_ENTER/EXIT), wake, wait
# and memory.
set(SOCKETPOOL_PORT_DIR ${CMAKE_CURRENT_LIST_DIR})
set(SOCKETPOOL_PORT_SOURCES ${CMAKE_CURRENT_LIST_DIR}/sp_core_rp2.c ${CMAKE_CURRENT_LIST_DIR}/sp_port_rp2.c)
set(SOCKETPOOL_PORT_DEFINITIONS SP_RP2_EXTERNAL_ALLOC=1 SP_IPV6=0 SP_RAW=0 SP_DNS=1 SP_ENGINE_NAME="rp2")
set(SOCKETPOOL_WERROR OFF)
include(${CMAKE_CURRENT_LIST_DIR}/../common/socketpool.cmake)
