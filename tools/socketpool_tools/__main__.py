import sys

from socketpool_tools.cli import main

sys.exit(main())
