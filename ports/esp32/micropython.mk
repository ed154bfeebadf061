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
# directory holding only this folder (with common/ and host/) needs no SOCKETPOOL_ENGINE.)
# SOCKETPOOL_ENGINE is also the API layer's run-time engine choice (host, micropython, ...): a value
# of that kind left in the environment must not quietly build no engine at all.
ifneq ($(filter-out esp32 rp2,$(SOCKETPOOL_ENGINE)),)
$(error socketpool: SOCKETPOOL_ENGINE=$(SOCKETPOOL_ENGINE) names no native engine to build (esp32 or rp2); unset it or pick one)
endif
ifeq ($(filter-out esp32,$(SOCKETPOOL_ENGINE)),)
SOCKETPOOL_CORE_SRC := sp_core_esp32.c
SOCKETPOOL_CORE_CFLAGS := '-DSP_ENGINE_NAME="esp32"'
SOCKETPOOL_HOST_CFLAGS := -DSP_WAIT_WITH_POLL=1
include $(USERMOD_DIR)/../common/socketpool.mk
endif
