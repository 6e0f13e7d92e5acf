"""pytest fixtures for a running emulator (registered through the ``pytest11`` entry point).

pytest loads this module in every project where the package is installed, so it imports
nothing heavy at module level (style.md §2.1 rule 4).

- ``oss_emulator_settings`` (session): the ``Settings`` to start with, built from the ini
  options below; override it in a ``conftest.py`` to change anything in ``Settings``.
- ``oss_emulator_server`` (session): one ``LocalEmulator`` (an ``EmulatorServer``) on a free
  loopback port with its data in a temporary directory; or, when ``OSS_EMULATOR_URL`` is
  set, a ``RemoteEmulator`` attached to the emulator running there (its credentials,
  buckets and region must match the settings). Session scope means one server per
  pytest-xdist worker, since each worker is its own process.
- ``oss_emulator`` (function): the same server, reset before the test (objects and uploads
  dropped, the configured buckets recreated, callback journal cleared). Attributes:
  ``endpoint``, ``access_key_id``, ``access_key_secret``, ``security_token``, ``region``,
  ``bucket``, ``callbacks``, ``wait_for_callbacks(count, timeout)``, ``public_key_pem``,
  ``reset()``, and ready-made clients ``oss2_bucket(bucket=None, *, auth_version="v1")``
  and ``v2_client(*, signature_version="v4")`` (see ``emulator.remote.OSSEmulator``).
- ``oss_callback_receiver`` (function): a started ``emulator.receiver.CallbackReceiver``,
  an application server that verifies each callback like Alibaba's sample, records it in
  ``.requests`` and answers what ``.reply(Reply(...))``/``.default_reply`` script;
  ``.url(path)`` is the ``callbackUrl`` to use. Stopped after the test.
- ``oss_callback_receiver_factory`` (function): ``make(tls=None, require_official_prefix=False)``
  starts more receivers (HTTPS with an ``ssl.SSLContext``); all are stopped after the test.

ini options (``[pytest]``/``[tool.pytest.ini_options]``), read by the default settings:
``oss_emulator_access_key_id``, ``oss_emulator_access_key_secret``,
``oss_emulator_security_token``, ``oss_emulator_region``, ``oss_emulator_buckets`` (one a
line; the first is ``oss_emulator.bucket``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import ssl

    from emulator.config import Settings
    from emulator.receiver import CallbackReceiver
    from emulator.remote import OSSEmulator

#: Attach to the emulator at this URL instead of starting one.
URL_VARIABLE = "OSS_EMULATOR_URL"

_INI_OPTIONS = {
    "access_key_id": "access key ID the emulator accepts",
    "access_key_secret": "access key secret the emulator accepts",
    "security_token": "STS security token the emulator requires with that key",
    "region": "region the emulator reports, e.g. cn-hangzhou",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    for name, help_text in _INI_OPTIONS.items():
        parser.addini(f"oss_emulator_{name}", f"oss-emulator: {help_text}", default="")
    parser.addini(
        "oss_emulator_buckets",
        "oss-emulator: buckets to create, one a line (the first is oss_emulator.bucket)",
        type="linelist",
        default=[],
    )


@pytest.fixture(name="oss_emulator_settings", scope="session")
def _oss_emulator_settings(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    from emulator.config import Settings

    options: dict[str, Any] = {}
    for name in _INI_OPTIONS:
        value = str(pytestconfig.getini(f"oss_emulator_{name}")).strip()
        if value:
            options[name] = value
    buckets = [str(line).strip() for line in pytestconfig.getini("oss_emulator_buckets")]
    if any(buckets):
        options["buckets"] = tuple(bucket for bucket in buckets if bucket)
    return Settings(
        host="127.0.0.1", port=0, data_dir=tmp_path_factory.mktemp("oss-emulator"), **options
    )


@pytest.fixture(name="oss_emulator_server", scope="session")
def _oss_emulator_server(oss_emulator_settings: Settings) -> Iterator[OSSEmulator]:
    url = os.environ.get(URL_VARIABLE, "").strip()
    if url:
        from emulator.remote import RemoteEmulator

        yield RemoteEmulator(url, oss_emulator_settings).check()
        return
    from emulator.remote import LocalEmulator

    server = LocalEmulator(oss_emulator_settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(name="oss_emulator")
def _oss_emulator(oss_emulator_server: OSSEmulator) -> OSSEmulator:
    oss_emulator_server.reset()
    return oss_emulator_server


@pytest.fixture(name="oss_callback_receiver_factory")
def _oss_callback_receiver_factory() -> Iterator[Callable[..., CallbackReceiver]]:
    from emulator.receiver import CallbackReceiver

    started: list[CallbackReceiver] = []

    def make(
        *, tls: ssl.SSLContext | None = None, require_official_prefix: bool = False
    ) -> CallbackReceiver:
        receiver = CallbackReceiver(tls=tls, require_official_prefix=require_official_prefix)
        started.append(receiver.start())
        return receiver

    try:
        yield make
    finally:
        for receiver in started:
            receiver.stop()


@pytest.fixture(name="oss_callback_receiver")
def _oss_callback_receiver(
    oss_callback_receiver_factory: Callable[..., CallbackReceiver],
) -> CallbackReceiver:
    return oss_callback_receiver_factory()
