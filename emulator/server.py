"""EmulatorServer: the emulator on a socket it bound itself, in a background thread.

Used by the pytest plugin and by tests (style.md rule 8): bind ``(host, port)`` first
(port 0 picks a free port, read back at once), hand the socket to uvicorn, wait until it
has started. Nothing races for the port between choosing and binding it.
"""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from types import TracebackType
from typing import Any

import uvicorn

from emulator.app import create_app
from emulator.callback.journal import Journal
from emulator.config import Settings
from emulator.faults import Faults
from emulator.storage.base import Storage


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``(host, port)``; port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when the
    # socket says it is TCP, and without it a response sent as headers then body waits for
    # the client's delayed ACK (about 40 ms on a keep-alive connection).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def uvicorn_config(app: Callable[..., Any], log_level: str) -> uvicorn.Config:
    """Uvicorn settings shared by the command line, the fixture server and the benchmark."""
    return uvicorn.Config(
        app,
        # Named, not "auto", so the emulator behaves the same whatever else is installed.
        # httptools parses ~12% more small PUTs per second, but it parses pipelined bytes
        # eagerly and answers a malformed follow-up with a plain-text 400 before the first
        # request's OSS answer; h11 does not. uvloop's resolver would bypass
        # socket.getaddrinfo, which strict callback hosts and the tests' host tables use.
        http="h11",
        loop="asyncio",
        ws="none",  # no WebSocket upgrades: every request is an OSS request
        log_level=log_level,
        server_header=False,
        date_header=False,
        lifespan="off",
        access_log=False,
    )


class ControlError(RuntimeError):
    """A control endpoint answered with an error: ``status`` and its JSON ``answer``."""

    def __init__(self, status: int, answer: Any) -> None:
        self.status = status
        self.answer = answer
        detail = answer.get("error") if isinstance(answer, dict) else answer
        super().__init__(f"{status}: {detail}")


def control_request(
    base_url: str, method: str, path: str, payload: Any = None, *, timeout: float = 30.0
) -> Any:
    """Call a control endpoint of the emulator at ``base_url``; its decoded JSON (or None).

    Raises:
        ControlError: the endpoint answered 4xx or 5xx.
    """
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(base_url.rstrip("/") + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body: bytes = answer.read()
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            decoded: Any = json.loads(raw)
        except ValueError:
            decoded = raw.decode("utf-8", "replace")
        raise ControlError(err.code, decoded) from None
    return json.loads(body) if body.strip() else None


class ControlMethods:
    """What the fixture handles share: credentials from their settings, and replay,
    trigger and faults through the control API."""

    settings: Settings

    @property
    def endpoint(self) -> str:
        raise NotImplementedError

    @property
    def access_key_id(self) -> str:
        return self.settings.access_key_id

    @property
    def access_key_secret(self) -> str:
        return self.settings.access_key_secret

    @property
    def security_token(self) -> str | None:
        return self.settings.security_token

    @property
    def region(self) -> str:
        return self.settings.region

    @property
    def bucket(self) -> str:
        """The first configured bucket."""
        return self.settings.buckets[0]

    def replay(self, entry_id: int, url: str | None = None) -> dict[str, Any]:
        """Re-send recorded callback ``entry_id`` (to ``url`` if given); the new entry."""
        payload = {} if url is None else {"url": url}
        entry: dict[str, Any] = control_request(
            self.endpoint, "POST", f"/_emulator/callbacks/{int(entry_id)}/replay", payload
        )
        return entry

    def trigger(
        self,
        bucket: str,
        key: str,
        callback_b64: str,
        callback_var_b64: str | None = None,
        *,
        operation: str | None = None,
    ) -> dict[str, Any]:
        """Fire the callback of a stored object without uploading; the journal entry."""
        payload: dict[str, Any] = {"bucket": bucket, "key": key, "callback": callback_b64}
        if callback_var_b64 is not None:
            payload["callback_var"] = callback_var_b64
        if operation is not None:
            payload["operation"] = operation
        entry: dict[str, Any] = control_request(
            self.endpoint, "POST", "/_emulator/callbacks/trigger", payload
        )
        return entry

    def add_fault(self, kind: str, **options: Any) -> dict[str, Any]:
        """Switch a fault on (see ``emulator.faults``); it, with its id."""
        fault: dict[str, Any] = control_request(
            self.endpoint, "POST", "/_emulator/faults", {"kind": kind, **options}
        )
        return fault

    def remove_fault(self, fault_id: int) -> None:
        control_request(self.endpoint, "DELETE", f"/_emulator/faults/{int(fault_id)}")

    def clear_faults(self) -> None:
        control_request(self.endpoint, "DELETE", "/_emulator/faults")

    @property
    def faults(self) -> list[dict[str, Any]]:
        """The faults switched on (fired-out ones too, ``active`` false)."""
        found: list[dict[str, Any]] = control_request(self.endpoint, "GET", "/_emulator/faults")
        return found


class EmulatorServer(ControlMethods):
    """A running emulator: ``start()``, then ``endpoint``; ``stop()`` when done."""

    def __init__(self, settings: Settings) -> None:
        self._socket = bind_socket(settings.host, settings.port)
        self.port: int = self._socket.getsockname()[1]
        self.settings = dataclasses.replace(settings, port=self.port)
        self.app = create_app(self.settings)
        self._server = uvicorn.Server(uvicorn_config(self.app, "warning"))
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:53412``."""
        return self.settings.base_url(self.port)

    @property
    def storage(self) -> Storage:
        storage: Storage = self.app.state.storage
        return storage

    def start(self, timeout: float = 10.0) -> EmulatorServer:
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"oss-emulator:{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"oss-emulator did not start on {self.endpoint}")
            time.sleep(0.005)
        return self

    def reset(self) -> None:
        """Back to the configured buckets, empty, with an empty callback journal, no faults."""
        self.storage.reset(self.settings.buckets, time.time())
        self.journal.clear()
        fault_state: Faults = self.app.state.faults
        fault_state.clear()

    @property
    def journal(self) -> Journal:
        journal: Journal = self.app.state.journal
        return journal

    @property
    def callbacks(self) -> list[dict[str, Any]]:
        """Every callback attempt so far, oldest first (the same JSON as /_emulator/callbacks)."""
        return self.journal.entries()

    def wait_for_callbacks(self, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Block until ``count`` callback attempts are recorded; TimeoutError otherwise."""
        return list(self.journal.wait_for(count, timeout))

    @property
    def public_key_pem(self) -> bytes:
        """The PEM public key that verifies this emulator's callbacks."""
        pem: bytes = self.app.state.signing_key.public_pem
        return pem

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()
        self.storage.close()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
