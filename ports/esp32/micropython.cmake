# MicroPython user C module: the ESP32 native socketpool engine (module `_socketpool`).
#
#   idf.py -D MICROPY_BOARD=ESP32_GENERIC -D USER_C_MODULES=<socketpool>/ports/esp32/micropython.cmake build
#   make BOARD=ESP32_GENERIC USER_C_MODULES=<socketpool>/ports/esp32/micropython.cmake
#
# (from MicroPython's ports/esp32; `socketpool build --board ...` runs it for you). The binding is
# ports/common/modsocketpool.c, shared with the Pico W engine; the core is plain C over ESP-IDF's
# lwIP sockets, whose socket layer locks and waits by itself, so this port adds no sp_port file.
# lwIP's headers reach the core through the esp32 port's own component requirements, and
# sdkconfig.h (via lwipopts.h) gives CONFIG_LWIP_MAX_SOCKETS.
if(TARGET usermod_socketpool)
    message(FATAL_ERROR "socketpool: USER_C_MODULES lists two native engines; both define "
        "`_socketpool`. List only ports/esp32/micropython.cmake or ports/rp2040_cyw43/micropython.cmake.")
endif()

add_library(usermod_socketpool INTERFACE)

set(SOCKETPOOL_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/../common/modsocketpool.c
    ${CMAKE_CURRENT_LIST_DIR}/../common/sp_errno.c
    ${CMAKE_CURRENT_LIST_DIR}/sp_core_esp32.c
)
target_sources(usermod_socketpool INTERFACE ${SOCKETPOOL_SOURCES})

# Our files build with every warning as an error. The port includes this file in the directory
# of its `main` component, so the property reaches exactly these sources, not MicroPython's.
set_source_files_properties(${SOCKETPOOL_SOURCES} PROPERTIES COMPILE_OPTIONS "-Wall;-Wextra;-Werror")

target_include_directories(usermod_socketpool INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
    ${CMAKE_CURRENT_LIST_DIR}/../common
)

# ESP-IDF's lwIP has lwip_select (not lwip_poll) and a DNS client (switches: ports/common/sp_config.h)
target_compile_definitions(usermod_socketpool INTERFACE
    SP_WAIT_WITH_POLL=0
    SP_DNS=1
    SP_ENGINE_NAME="esp32"
)

target_link_libraries(usermod INTERFACE usermod_socketpool)
