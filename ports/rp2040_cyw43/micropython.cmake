# MicroPython user C module: the Pico W native socketpool engine (module `_socketpool`).
#
#   make -C ports/rp2 BOARD=RPI_PICO_W USER_C_MODULES=/path/to/ports/rp2040_cyw43/micropython.cmake
#
# Needs MICROPY_PY_LWIP (on for RPI_PICO_W). The core is plain C over lwIP's raw API; the binding
# provides its lock (MICROPY_PY_LWIP_ENTER/EXIT), waits and memory.
add_library(usermod_socketpool_rp2 INTERFACE)

target_sources(usermod_socketpool_rp2 INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/modsocketpool_rp2.c
    ${CMAKE_CURRENT_LIST_DIR}/sp_core_rp2.c
)

target_include_directories(usermod_socketpool_rp2 INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}
    ${CMAKE_CURRENT_LIST_DIR}/../common
)

target_compile_definitions(usermod_socketpool_rp2 INTERFACE
    SP_RP2_EXTERNAL_ALLOC=1
    SP_IPV6=0
    SP_RAW=0
    SP_DNS=1
    SP_ENGINE_NAME="rp2"
)

target_link_libraries(usermod INTERFACE usermod_socketpool_rp2)
