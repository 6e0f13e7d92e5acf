"""``python -m emulator``: the same as the ``oss-emulator`` command."""

from emulator.cli import main

raise SystemExit(main())
