"""``python -m wslab``: the command line (see :mod:`wslab.cli`)."""

from .cli import main

raise SystemExit(main())
