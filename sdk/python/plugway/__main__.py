"""``python3 -m plugway plugin.py``: serve a plugin over stdin/stdout (what the process runtime runs)."""

import sys

from ._runner import main

if len(sys.argv) != 2:
    sys.stderr.write("usage: python3 -m plugway <plugin.py>\n")
    raise SystemExit(2)
main(sys.argv[1])
