/*
 * sp_config.h - every feature switch of the native engines, with #ifndef defaults.
 * A port (or the host build) overrides a switch with -D or in its own build files.
 */
#ifndef SP_CONFIG_H
#define SP_CONFIG_H

/* socket slots the pool owns (esp32: CONFIG_LWIP_MAX_SOCKETS) */
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

#endif
