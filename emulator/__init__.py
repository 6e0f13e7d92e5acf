"""oss-emulator: a local Alibaba Cloud OSS for testing upload callbacks."""

from __future__ import annotations

from emulator.app import create_app
from emulator.config import Settings
from emulator.server import EmulatorServer

__version__ = "0.1.0"

__all__ = ["EmulatorServer", "Settings", "__version__", "create_app"]
