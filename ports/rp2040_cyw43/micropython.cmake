# MicroPython user C module: the Pico W native socketpool engine (module `_socketpool`).
#
#   make -C ports/rp2 BOARD=RPI_PICO_W USER_C_MODULES=/path/to/ports/rp2040_cyw43/micropython.cmake
#
# Needs MICROPY_PY_LWIP (on for RPI_PICO_W). The binding is ports/common/modsocketpool.c, shared
# with the ESP32 engine; the core is plain C over lwIP's raw API; sp_port_rp2.c is what the port
# provides to it: the lock (MICROPY_PY_LWIP_ENTER/EXIT), wake, wait and memory.
if(TARGET usermod_socketpool)
    message(FATAL_ERROR "socketpool: USER_C_MODULES lists two native engines; both define "
        "`_socketpool`. List only ports/esp32/micropython.cmake or ports/rp2040_cyw43/micropython.cmake.")
endif()

add_library(usermod_socketpool INTERFACE)

target_sources(usermod_socketpool INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/../common/modsocketpool.c
    ${CMAKE_CURRENT_LIST_DIR}/../common/sp_errno.c
    ${CMAKE_CURRENT_LIST_DIR}/sp_core_rp2.c
    ${CMAKE_CURRENT_LIST_DIR}/sp_port_rp2.c
)

target_include_directories(usermod_socketpool INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
    ${CMAKE_CURRENT_LIST_DIR}/../common
)

# switches: ports/common/sp_config.h
target_compile_definitions(usermod_socketpool INTERFACE
    SP_RP2_EXTERNAL_ALLOC=1
    SP_IPV6=0
    SP_RAW=0
    SP_DNS=1
    SP_ENGINE_NAME="rp2"
)

target_link_libraries(usermod INTERFACE usermod_socketpool)
