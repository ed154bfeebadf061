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
# SOCKETPOOL_ENGINE is also the API layer's run-time engine choice (host, micropython, ...): a value
# of that kind left in the environment must not quietly build no engine at all.
ifneq ($(filter-out esp32 rp2,$(SOCKETPOOL_ENGINE)),)
$(error socketpool: SOCKETPOOL_ENGINE=$(SOCKETPOOL_ENGINE) names no native engine to build (esp32 or rp2); unset it or pick one)
endif
ifeq ($(filter-out rp2,$(SOCKETPOOL_ENGINE)),)
SOCKETPOOL_CORE_SRC := sp_core_rp2.c
SOCKETPOOL_CORE_CFLAGS := -DSP_IPV6=0 -DSP_RAW=0 '-DSP_ENGINE_NAME="rp2"'
SOCKETPOOL_PORT_SRC := sp_port_rp2.c
SOCKETPOOL_CORE_CFLAGS += $(if $(filter 1,$(SOCKETPOOL_HOST_LWIP)),,-DSP_RP2_EXTERNAL_ALLOC=1 -DSP_DNS=1)
include $(USERMOD_DIR)/../common/socketpool.mk
endif
