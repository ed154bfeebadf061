# The part of a native engine's user C module that both port folders share (CMake ports), included
# by ports/esp32/micropython.cmake and ports/rp2040_cyw43/micropython.cmake after they set
#   SOCKETPOOL_PORT_SOURCES      the port's core (and its sp_port_*.c)
#   SOCKETPOOL_PORT_DEFINITIONS  its switches (ports/common/sp_config.h)
#   SOCKETPOOL_WERROR            ON: our sources build with -Wall -Wextra -Werror
# Both engines define `_socketpool`, so a USER_C_MODULES list naming both stops here.
if(TARGET usermod_socketpool)
    message(FATAL_ERROR "socketpool: USER_C_MODULES lists two native engines; both define "
        "`_socketpool`. List only ports/esp32/micropython.cmake or ports/rp2040_cyw43/micropython.cmake.")
endif()

add_library(usermod_socketpool INTERFACE)

set(SOCKETPOOL_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/modsocketpool.c
    ${CMAKE_CURRENT_LIST_DIR}/sp_errno.c
    ${SOCKETPOOL_PORT_SOURCES}
)
target_sources(usermod_socketpool INTERFACE ${SOCKETPOOL_SOURCES})

if(SOCKETPOOL_WERROR)
    # The port includes the module file in the directory of its `main` component, so the property
    # reaches exactly these sources, not MicroPython's.
    set_source_files_properties(${SOCKETPOOL_SOURCES} PROPERTIES COMPILE_OPTIONS "-Wall;-Wextra;-Werror")
endif()

target_include_directories(usermod_socketpool INTERFACE
    ${SOCKETPOOL_PORT_DIR}
    ${CMAKE_CURRENT_LIST_DIR}
)

target_compile_definitions(usermod_socketpool INTERFACE ${SOCKETPOOL_PORT_DEFINITIONS})

target_link_libraries(usermod INTERFACE usermod_socketpool)
