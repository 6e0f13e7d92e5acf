"""The emulator handles the pytest plugin hands out, and ready-made SDK clients for them.

- ``LocalEmulator``: an ``EmulatorServer`` in this process (the default).
- ``RemoteEmulator``: an emulator already running elsewhere (``OSS_EMULATOR_URL``, e.g. the
  compose one), driven over its control endpoints: ``POST /_emulator/reset``,
  ``GET /_emulator/callbacks``, ``GET /callback_pub_key_v1.pem``, and the replay, trigger
  and fault endpoints (``ControlMethods``, shared with the local handle). Its credentials, buckets
  and region come from the ``Settings`` it is given and must match the running emulator.

Both satisfy ``OSSEmulator`` and get ``oss2_bucket()`` and ``v2_client()`` from
``SDKClients``; the SDKs are imported only when those are called.
"""

from __future__ import annotations

import importlib
import json
import time
import urllib.request
from typing import Any, Protocol

from emulator.config import Settings
from emulator.server import ControlMethods, EmulatorServer

__all__ = ["LocalEmulator", "OSSEmulator", "RemoteEmulator", "SDKClients"]


class _Credentials(Protocol):
    @property
    def endpoint(self) -> str: ...
    @property
    def access_key_id(self) -> str: ...
    @property
    def access_key_secret(self) -> str: ...
    @property
    def security_token(self) -> str | None: ...
    @property
    def region(self) -> str: ...
    @property
    def bucket(self) -> str: ...


class OSSEmulator(_Credentials, Protocol):
    """What the ``oss_emulator`` fixture returns, in process or attached; for annotations."""

    @property
    def callbacks(self) -> list[dict[str, Any]]: ...
    def wait_for_callbacks(self, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]: ...
    @property
    def public_key_pem(self) -> bytes: ...
    def reset(self) -> None: ...
    def replay(self, entry_id: int, url: str | None = None) -> dict[str, Any]: ...
    def trigger(
        self,
        bucket: str,
        key: str,
        callback_b64: str,
        callback_var_b64: str | None = None,
        *,
        operation: str | None = None,
    ) -> dict[str, Any]: ...
    def add_fault(self, kind: str, **options: Any) -> dict[str, Any]: ...
    def remove_fault(self, fault_id: int) -> None: ...
    def clear_faults(self) -> None: ...
    @property
    def faults(self) -> list[dict[str, Any]]: ...
    def oss2_bucket(self, bucket: str | None = None, *, auth_version: str = "v1") -> Any: ...
    def v2_client(self, *, signature_version: str = "v4") -> Any: ...


def _require(module: str, extra: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise RuntimeError(
            f"{module} is not installed; install it (pip install {extra}) to use this client"
        ) from exc


class SDKClients:
    """Ready-made official SDK clients for a handle with endpoint, credentials and bucket."""

    def oss2_bucket(
        self: _Credentials, bucket: str | None = None, *, auth_version: str = "v1"
    ) -> Any:
        """An ``oss2.Bucket`` for ``bucket`` (default: the first configured one).

        ``auth_version`` is ``"v1"`` or ``"v4"``; with a security token it uses
        ``oss2.StsAuth``. Path-style addressing, so any endpoint host works.
        """
        oss2 = _require("oss2", "oss2")
        if auth_version not in ("v1", "v4"):
            raise ValueError(f"auth_version must be 'v1' or 'v4', not {auth_version!r}")
        auth: Any
        if self.security_token:
            auth = oss2.StsAuth(
                self.access_key_id,
                self.access_key_secret,
                self.security_token,
                auth_version=auth_version,
            )
        elif auth_version == "v4":
            auth = oss2.AuthV4(self.access_key_id, self.access_key_secret)
        else:
            auth = oss2.Auth(self.access_key_id, self.access_key_secret)
        return oss2.Bucket(
            auth, self.endpoint, bucket or self.bucket, region=self.region, is_path_style=True
        )

    def v2_client(self: _Credentials, *, signature_version: str = "v4") -> Any:
        """An ``alibabacloud_oss_v2.Client`` (path style, one attempt per request)."""
        oss = _require("alibabacloud_oss_v2", "alibabacloud-oss-v2")
        if signature_version not in ("v1", "v4"):
            raise ValueError(f"signature_version must be 'v1' or 'v4', not {signature_version!r}")
        cfg = oss.config.load_default()
        cfg.credentials_provider = oss.credentials.StaticCredentialsProvider(
            self.access_key_id, self.access_key_secret, self.security_token
        )
        cfg.region = self.region
        cfg.endpoint = self.endpoint
        cfg.signature_version = signature_version
        cfg.use_path_style = True
        cfg.retry_max_attempts = 1
        return oss.Client(cfg)


class LocalEmulator(EmulatorServer, SDKClients):
    """An ``EmulatorServer`` in this process, with the SDK client helpers."""


class RemoteEmulator(ControlMethods, SDKClients):
    """An emulator already running at ``url``; ``settings`` must match its configuration."""

    def __init__(self, url: str, settings: Settings, *, timeout: float = 10.0) -> None:
        self.settings = settings
        self._url = url.rstrip("/")
        self._timeout = timeout

    @property
    def endpoint(self) -> str:
        return self._url

    def _call(self, method: str, path: str) -> bytes:
        request = urllib.request.Request(self._url + path, method=method, data=None)
        with urllib.request.urlopen(request, timeout=self._timeout) as answer:
            body: bytes = answer.read()
        return body

    def check(self) -> RemoteEmulator:
        """Fail early, naming the URL, when nothing answers ``/_emulator/health``."""
        try:
            self._call("GET", "/_emulator/health")
        except OSError as exc:
            raise RuntimeError(f"no oss-emulator answers at OSS_EMULATOR_URL={self._url}") from exc
        return self

    def reset(self) -> None:
        """Back to the emulator's configured buckets, empty, with an empty callback journal."""
        self._call("POST", "/_emulator/reset")

    @property
    def callbacks(self) -> list[dict[str, Any]]:
        """Every callback attempt so far, oldest first (``GET /_emulator/callbacks``)."""
        entries: list[dict[str, Any]] = json.loads(self._call("GET", "/_emulator/callbacks"))
        return entries

    def wait_for_callbacks(self, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Poll until ``count`` callback attempts are recorded; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            entries = self.callbacks
            if len(entries) >= count:
                return entries
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(entries)} of {count} callbacks recorded")
            time.sleep(0.05)

    @property
    def public_key_pem(self) -> bytes:
        """The PEM public key that verifies the emulator's callbacks."""
        return self._call("GET", "/callback_pub_key_v1.pem")
