# MicroPython user C module (make-based ports): the Pico W native socketpool engine.
#
# A port with MicroPython's lwIP (MICROPY_PY_LWIP, raw API) builds it with sp_port_rp2.c (lock:
# MICROPY_PY_LWIP_ENTER/EXIT). SOCKETPOOL_HOST_LWIP=1 builds it into MicroPython's unix port over
# Debian's liblwip-dev instead, with ports/host/sp_host_platform.c as the port:
#
#   make -C ports/unix USER_C_MODULES=<socketpool>/ports SOCKETPOOL_ENGINE=rp2 SOCKETPOOL_HOST_LWIP=1
#
# (<socketpool>/ports holds both native engines, which both define `_socketpool`, so
# SOCKETPOOL_ENGINE picks one; a directory holding only this folder needs none.)
ifeq ($(filter-out rp2,$(SOCKETPOOL_ENGINE)),)
ifdef SOCKETPOOL_PORT_DIR
$(error socketpool: USER_C_MODULES holds two native engines ($(SOCKETPOOL_PORT_DIR) and $(USERMOD_DIR)), both `_socketpool`: set SOCKETPOOL_ENGINE=esp32 or SOCKETPOOL_ENGINE=rp2)
endif
SOCKETPOOL_PORT_DIR := $(USERMOD_DIR)
SOCKETPOOL_COMMON_DIR := $(USERMOD_DIR)/../common

SRC_USERMOD_C += $(SOCKETPOOL_COMMON_DIR)/modsocketpool.c
SRC_USERMOD_C += $(SOCKETPOOL_COMMON_DIR)/sp_errno.c
SRC_USERMOD_C += $(SOCKETPOOL_PORT_DIR)/sp_core_rp2.c

CFLAGS_USERMOD += -I$(SOCKETPOOL_PORT_DIR) -I$(SOCKETPOOL_COMMON_DIR) \
	-DSP_IPV6=0 -DSP_RAW=0 '-DSP_ENGINE_NAME="rp2"'

ifeq ($(SOCKETPOOL_HOST_LWIP),1)
SRC_USERMOD_C += $(SOCKETPOOL_PORT_DIR)/../host/sp_host_platform.c
CFLAGS_USERMOD += -I/usr/include/lwip -DSP_HOST_PLATFORM=1 -DSP_HOST_CLOCK=0 -DSP_DNS=0
LDFLAGS_USERMOD += -llwip -lpthread
else
SRC_USERMOD_C += $(SOCKETPOOL_PORT_DIR)/sp_port_rp2.c
CFLAGS_USERMOD += -DSP_RP2_EXTERNAL_ALLOC=1 -DSP_DNS=1
endif
endif
