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
    # A source file property reaches only the targets made in the directory that sets it, so it
    # is set on exactly these sources, not MicroPython's, in each directory whose targets compile
    # them: here (the esp32 port's `main` component; rp2's top level) and the top level, where the
    # esp32 port's micropython.elf compiles them again through `usermod`'s interface sources
    # (MicroPython v1.28.0 esp32_common.cmake) and links those objects, not the component's.
    set(_sp_werror_dirs ${CMAKE_CURRENT_SOURCE_DIR})
    if(NOT CMAKE_SOURCE_DIR STREQUAL CMAKE_CURRENT_SOURCE_DIR)
        list(APPEND _sp_werror_dirs ${CMAKE_SOURCE_DIR})
    endif()
    if(CMAKE_VERSION VERSION_LESS 3.18 AND NOT CMAKE_SOURCE_DIR STREQUAL CMAKE_CURRENT_SOURCE_DIR)
        message(WARNING "socketpool: CMake ${CMAKE_VERSION} cannot set -Werror for the top-level "
            "copy of the module's objects (needs 3.18): only the component's copy has it")
        set_source_files_properties(${SOCKETPOOL_SOURCES} PROPERTIES COMPILE_OPTIONS "-Wall;-Wextra;-Werror")
    else()
        set_source_files_properties(${SOCKETPOOL_SOURCES} DIRECTORY ${_sp_werror_dirs}
            PROPERTIES COMPILE_OPTIONS "-Wall;-Wextra;-Werror")
    endif()
endif()

target_include_directories(usermod_socketpool INTERFACE
    ${SOCKETPOOL_PORT_DIR}
    ${CMAKE_CURRENT_LIST_DIR}
)

target_compile_definitions(usermod_socketpool INTERFACE ${SOCKETPOOL_PORT_DEFINITIONS})

target_link_libraries(usermod INTERFACE usermod_socketpool)
