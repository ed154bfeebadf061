# MicroPython user C module (make-based ports): the ESP32 native socketpool engine.
#
# On a make-based port the core needs a BSD-socket lwIP. SOCKETPOOL_HOST_LWIP=1 builds it into
# MicroPython's unix port over Debian's liblwip-dev, with ports/host/sp_host_platform.c (lwIP's
# thread, an in-process loopback netif at 127.0.0.1 and ::1, and, with SOCKETPOOL_HOST_LINK set,
# the TUN link netif of docs/harness.md):
#
#   make -C ports/unix USER_C_MODULES=<socketpool>/ports SOCKETPOOL_HOST_LWIP=1
#
# (USER_C_MODULES for make ports is the directory holding module directories.)
SOCKETPOOL_ESP32_DIR := $(USERMOD_DIR)

SRC_USERMOD_C += $(SOCKETPOOL_ESP32_DIR)/modsocketpool.c
SRC_USERMOD_C += $(SOCKETPOOL_ESP32_DIR)/sp_core_esp32.c
SRC_USERMOD_C += $(SOCKETPOOL_ESP32_DIR)/../common/sp_errno.c

CFLAGS_USERMOD += -I$(SOCKETPOOL_ESP32_DIR) -I$(SOCKETPOOL_ESP32_DIR)/../common

ifeq ($(SOCKETPOOL_HOST_LWIP),1)
SRC_USERMOD_C += $(SOCKETPOOL_ESP32_DIR)/../host/sp_host_platform.c
SRC_USERMOD_C += $(SOCKETPOOL_ESP32_DIR)/../host/sp_host_tun.c
CFLAGS_USERMOD += -I/usr/include/lwip -DSP_HOST_PLATFORM=1 -DSP_HOST_CLOCK=0 \
	-DSP_WAIT_WITH_POLL=1 -DSP_DNS=0
LDFLAGS_USERMOD += -llwip -lpthread
endif
