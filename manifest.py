# The socketpool API layer as frozen modules (a micropython-lib style manifest).
#
# `socketpool build` passes a manifest that includes the board's own one and then this file, so
# `import socketpool, wifi` works right after flashing, with no deploy step. In your own board
# manifest: include("<socketpool checkout>/manifest.py"). Paths here are relative to this file.
metadata(description="CircuitPython's socketpool and wifi API for MicroPython")

package("socketpool")
package("wifi")

# compat modules CircuitPython libraries import. Not ssl.py: the board manifests already freeze
# micropython-lib's ssl (two frozen `ssl` modules do not build); `socketpool deploy` puts compat
# ssl.py at `/`, which comes before `.frozen` on sys.path.
module("ipaddress.py", base_path="compat")
module("json.py", base_path="compat")
module("re.py", base_path="compat")
module("struct.py", base_path="compat")
module("time.py", base_path="compat")
module("traceback.py", base_path="compat")
module("types.py", base_path="compat")
module("typing.py", base_path="compat")
package("circuitpython_typing", base_path="compat")
