"""pytest fixtures for a running emulator (registered through the ``pytest11`` entry point).

pytest loads this module in every project where the package is installed, so it imports
nothing heavy at module level (style.md §2.1 rule 4).

- ``oss_emulator_settings`` (session): the ``Settings`` to start with; override it in a
  ``conftest.py`` to change credentials, buckets or anything else.
- ``oss_emulator_server`` (session): one ``EmulatorServer`` on a free loopback port, with its
  data in a temporary directory.
- ``oss_emulator`` (function): the same server, reset to the configured buckets, empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from emulator.config import Settings
    from emulator.server import EmulatorServer


@pytest.fixture(name="oss_emulator_settings", scope="session")
def _oss_emulator_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from emulator.config import Settings

    return Settings(host="127.0.0.1", port=0, data_dir=tmp_path_factory.mktemp("oss-emulator"))


@pytest.fixture(name="oss_emulator_server", scope="session")
def _oss_emulator_server(oss_emulator_settings: Settings) -> Iterator[EmulatorServer]:
    from emulator.server import EmulatorServer

    server = EmulatorServer(oss_emulator_settings).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(name="oss_emulator")
def _oss_emulator(oss_emulator_server: EmulatorServer) -> EmulatorServer:
    oss_emulator_server.reset()
    return oss_emulator_server
