# The part of a native engine's user C module that both port folders share (make ports), included
# by ports/esp32/micropython.mk and ports/rp2040_cyw43/micropython.mk after they set
#   SOCKETPOOL_CORE_SRC     the port's core (and its sp_port_*.c)
#   SOCKETPOOL_CORE_CFLAGS  its switches (ports/common/sp_config.h)
#   SOCKETPOOL_HOST_CFLAGS  extra switches for SOCKETPOOL_HOST_LWIP=1 (the unix port over Debian's
#                           liblwip-dev, ports/host/sp_host_platform.c and sp_host_tun.c as the port)
#   SOCKETPOOL_PORT_SRC     the port's own sp_port_*.c, for a build without SOCKETPOOL_HOST_LWIP
# Both engines define `_socketpool`, so a USER_C_MODULES that holds both stops here.
ifdef SOCKETPOOL_PORT_DIR
$(error socketpool: USER_C_MODULES holds two native engines ($(SOCKETPOOL_PORT_DIR) and $(USERMOD_DIR)), both `_socketpool`: set SOCKETPOOL_ENGINE=esp32 or SOCKETPOOL_ENGINE=rp2)
endif
SOCKETPOOL_PORT_DIR := $(USERMOD_DIR)
SOCKETPOOL_COMMON_DIR := $(USERMOD_DIR)/../common

SRC_USERMOD_C += $(SOCKETPOOL_COMMON_DIR)/modsocketpool.c $(SOCKETPOOL_COMMON_DIR)/sp_errno.c
SRC_USERMOD_C += $(addprefix $(SOCKETPOOL_PORT_DIR)/,$(SOCKETPOOL_CORE_SRC))
CFLAGS_USERMOD += -I$(SOCKETPOOL_PORT_DIR) -I$(SOCKETPOOL_COMMON_DIR) $(SOCKETPOOL_CORE_CFLAGS)

ifeq ($(SOCKETPOOL_HOST_LWIP),1)
SRC_USERMOD_C += $(SOCKETPOOL_PORT_DIR)/../host/sp_host_platform.c
SRC_USERMOD_C += $(SOCKETPOOL_PORT_DIR)/../host/sp_host_tun.c
CFLAGS_USERMOD += -I/usr/include/lwip -DSP_HOST_PLATFORM=1 -DSP_HOST_CLOCK=0 -DSP_DNS=0 \
	$(SOCKETPOOL_HOST_CFLAGS)
LDFLAGS_USERMOD += -llwip -lpthread
else
SRC_USERMOD_C += $(addprefix $(SOCKETPOOL_PORT_DIR)/,$(SOCKETPOOL_PORT_SRC))
endif
