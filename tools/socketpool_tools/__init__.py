"""Host tools for socketpool: the command line (check, run, deploy, build, flash) and the
pytest hardware-in-loop plugin. Never copied to a board."""
