# MicroPython user C module: the ESP32 native socketpool engine (module `_socketpool`).
#
#   idf.py -D MICROPY_BOARD=ESP32_GENERIC -D USER_C_MODULES=<socketpool>/ports/esp32/micropython.cmake build
#   make BOARD=ESP32_GENERIC USER_C_MODULES=<socketpool>/ports/esp32/micropython.cmake
#
# (from MicroPython's ports/esp32; `socketpool build --board ...` runs it for you). The binding is
# ports/common/modsocketpool.c, shared with the Pico W engine (ports/common/socketpool.cmake); the
# core is plain C over ESP-IDF's lwIP sockets, whose socket layer locks and waits by itself, so this
# port adds no sp_port file. lwIP's headers reach the core through the esp32 port's own component
# requirements, and sdkconfig.h (via lwipopts.h) gives CONFIG_LWIP_MAX_SOCKETS.
set(SOCKETPOOL_PORT_DIR ${CMAKE_CURRENT_LIST_DIR})
set(SOCKETPOOL_PORT_SOURCES ${CMAKE_CURRENT_LIST_DIR}/sp_core_esp32.c)
# ESP-IDF's lwIP has lwip_select (not lwip_poll) and a DNS client
set(SOCKETPOOL_PORT_DEFINITIONS SP_WAIT_WITH_POLL=0 SP_DNS=1 SP_ENGINE_NAME="esp32")
set(SOCKETPOOL_WERROR ON)
include(${CMAKE_CURRENT_LIST_DIR}/../common/socketpool.cmake)
