# MicroPython user C module (make-based ports): the ESP32 native socketpool engine.
#
# On a make-based port the core needs a BSD-socket lwIP. SOCKETPOOL_HOST_LWIP=1 builds it into
# MicroPython's unix port over Debian's liblwip-dev, with ports/host/sp_host_platform.c (lwIP's
# thread, an in-process loopback netif at 127.0.0.1 and ::1, and, with SOCKETPOOL_HOST_LINK set,
# the TUN link netif of docs/harness.md):
#
#   make -C ports/unix USER_C_MODULES=<socketpool>/ports SOCKETPOOL_ENGINE=esp32 SOCKETPOOL_HOST_LWIP=1
#
# (USER_C_MODULES for make ports is the directory holding module directories: <socketpool>/ports
# holds both native engines, which both define `_socketpool`, so SOCKETPOOL_ENGINE picks one; a
# directory holding only this folder (and common/, host/) needs no SOCKETPOOL_ENGINE.)
ifeq ($(filter-out esp32,$(SOCKETPOOL_ENGINE)),)
ifdef SOCKETPOOL_PORT_DIR
$(error socketpool: USER_C_MODULES holds two native engines ($(SOCKETPOOL_PORT_DIR) and $(USERMOD_DIR)), both `_socketpool`: set SOCKETPOOL_ENGINE=esp32 or SOCKETPOOL_ENGINE=rp2)
endif
SOCKETPOOL_PORT_DIR := $(USERMOD_DIR)
SOCKETPOOL_COMMON_DIR := $(USERMOD_DIR)/../common

SRC_USERMOD_C += $(SOCKETPOOL_COMMON_DIR)/modsocketpool.c
SRC_USERMOD_C += $(SOCKETPOOL_COMMON_DIR)/sp_errno.c
SRC_USERMOD_C += $(SOCKETPOOL_PORT_DIR)/sp_core_esp32.c

CFLAGS_USERMOD += -I$(SOCKETPOOL_PORT_DIR) -I$(SOCKETPOOL_COMMON_DIR) '-DSP_ENGINE_NAME="esp32"'

ifeq ($(SOCKETPOOL_HOST_LWIP),1)
SRC_USERMOD_C += $(SOCKETPOOL_PORT_DIR)/../host/sp_host_platform.c
SRC_USERMOD_C += $(SOCKETPOOL_PORT_DIR)/../host/sp_host_tun.c
CFLAGS_USERMOD += -I/usr/include/lwip -DSP_HOST_PLATFORM=1 -DSP_HOST_CLOCK=0 \
	-DSP_WAIT_WITH_POLL=1 -DSP_DNS=0
LDFLAGS_USERMOD += -llwip -lpthread
endif
endif
