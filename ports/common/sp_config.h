/*
 * sp_config.h - every feature switch of the native engines, with #ifndef defaults.
 * A port (or the host build) overrides a switch with -D or in its own build files.
 */
#ifndef SP_CONFIG_H
#define SP_CONFIG_H

/* socket slots the pool owns (esp32: CONFIG_LWIP_MAX_SOCKETS, below) */
#if !defined(SP_MAX_SLOTS) && defined(CONFIG_LWIP_MAX_SOCKETS)
#define SP_MAX_SLOTS CONFIG_LWIP_MAX_SOCKETS
#endif
#ifndef SP_MAX_SLOTS
#define SP_MAX_SLOTS 8
#endif

/* UDP datagrams queued per socket (contract: at least 4) */
#ifndef SP_UDP_QUEUE
#define SP_UDP_QUEUE 4
#endif

/* milliseconds a closing TCP socket may linger before it is aborted */
#ifndef SP_CLOSE_LINGER_MS
#define SP_CLOSE_LINGER_MS 2000
#endif

/* longest single wait inside sp_poll before a front end regains control */
#ifndef SP_WAIT_SLICE_MS
#define SP_WAIT_SLICE_MS 100
#endif

/* engine name reported to Python as NAME ("esp32", "rp2", "lwip-esp32" ...) */
#ifndef SP_ENGINE_NAME
#define SP_ENGINE_NAME "lwip"
#endif

/* 1: the core may create AF_INET6 sockets (needs LWIP_IPV6 in the stack) */
#ifndef SP_IPV6
#define SP_IPV6 1
#endif

/* 1: the core may create SOCK_RAW sockets (needs LWIP_RAW in the stack) */
#ifndef SP_RAW
#define SP_RAW 1
#endif

/* 1: the core offers sp_resolve() (sp_resolve.h) through the stack's DNS client */
#ifndef SP_DNS
#define SP_DNS 1
#endif

/* BSD-socket cores: 1 = wait with lwip_poll (Debian's lwIP has no lwip_select),
 * 0 = wait with lwip_select (ESP-IDF) */
#ifndef SP_WAIT_WITH_POLL
#define SP_WAIT_WITH_POLL 0
#endif

/* largest UDP payload sendto accepts before it answers EMSGSIZE (IPv4: 65535 - 20 - 8) */
#ifndef SP_MAX_DATAGRAM
#define SP_MAX_DATAGRAM 65507
#endif

/* MicroPython bindings: longest wait slice before scheduled callbacks and Ctrl-C get a turn */
#ifndef SP_POLL_SLICE_MS
#define SP_POLL_SLICE_MS 10
#endif

/* 1: the binding runs over ports/host/sp_host_platform.c (MicroPython's unix port on host lwIP)
 * and starts it on first use; that build also sets SP_HOST_CLOCK=0 (the binding's clock wins) */
#ifndef SP_HOST_PLATFORM
#define SP_HOST_PLATFORM 0
#endif
#ifndef SP_HOST_CLOCK
#define SP_HOST_CLOCK 1
#endif

/* rp2 core: 1 = the port provides sp_rp2_calloc/sp_rp2_free (MicroPython firmware: the gc-tracked
 * heap, ports/rp2040_cyw43/sp_port_rp2.c); 0 = the C library's calloc/free (host builds) */
#ifndef SP_RP2_EXTERNAL_ALLOC
#define SP_RP2_EXTERNAL_ALLOC 0
#endif

/* rp2 core: longest wait of one name lookup through lwIP's DNS client */
#ifndef SP_RP2_DNS_TIMEOUT_MS
#define SP_RP2_DNS_TIMEOUT_MS 10000
#endif

/* MicroPython build files (not C switches, listed for completeness): SOCKETPOOL_ENGINE=esp32|rp2
 * picks the engine when USER_C_MODULES holds both port folders; SOCKETPOOL_HOST_LWIP=1 builds the
 * unix port over Debian's lwIP (ports/common/socketpool.mk); SOCKETPOOL_WERROR (CMake) */

/* addresses sp_resolve() returns at most */
#ifndef SP_RESOLVE_MAX
#define SP_RESOLVE_MAX 4
#endif

#endif
