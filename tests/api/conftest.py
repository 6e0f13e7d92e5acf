"""A live emulator with signature checking off, for raw-HTTP tests of the wire format."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from emulator.config import Settings
from emulator.server import EmulatorServer


@pytest.fixture(name="open_server", scope="session")
def _open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    settings = Settings(
        port=0,
        data_dir=tmp_path_factory.mktemp("open"),
        auth=False,
        buckets=("open-bucket",),
        seed=7,
    )
    with EmulatorServer(settings) as server:
        yield server


@pytest.fixture(name="http")
def _http(open_server: EmulatorServer) -> Iterator[httpx.Client]:
    open_server.reset()
    with httpx.Client(base_url=open_server.endpoint, timeout=30) as client:
        yield client
