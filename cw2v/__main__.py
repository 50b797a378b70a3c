"""`python -m cw2v ...` runs the command line (see cw2v.cli)."""
import sys

from cw2v.cli import main

if __name__ == "__main__":
    sys.exit(main())
