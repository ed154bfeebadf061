# The board's own frozen modules: those of MicroPython's RPI_PICO_W.
include("$(PORT_DIR)/boards/RPI_PICO_W/manifest.py")
