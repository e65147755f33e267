"""Entry point for ``python -m ntlib``."""

from ntlib.cli import main

raise SystemExit(main())
