# MicroPython user C module (make-based ports): the Pico W native socketpool engine.
# Point USER_C_MODULES at a directory holding only this module's directory (both native engines
# define `_socketpool`). Needs MICROPY_PY_LWIP and lwIP's raw API.
SOCKETPOOL_RP2_DIR := $(USERMOD_DIR)

SRC_USERMOD_C += $(SOCKETPOOL_RP2_DIR)/modsocketpool_rp2.c
SRC_USERMOD_C += $(SOCKETPOOL_RP2_DIR)/sp_core_rp2.c

CFLAGS_USERMOD += -I$(SOCKETPOOL_RP2_DIR) -I$(SOCKETPOOL_RP2_DIR)/../common
CFLAGS_USERMOD += -DSP_RP2_EXTERNAL_ALLOC=1 -DSP_IPV6=0 -DSP_RAW=0 -DSP_DNS=1 '-DSP_ENGINE_NAME="rp2"'
