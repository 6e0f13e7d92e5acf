"""The record of every callback attempt, for tests and the control API (issue: journal).

Each attempt becomes one JSON-ready dict: the upload it belongs to, the request exactly as
sent (request line, headers, body, string to sign), the application's answer, the time it
took and the verdict. Entries are kept in memory, newest last, up to ``limit``; a
``threading.Condition`` lets a test thread wait for the next entry while the server
thread records it.

Beside each entry the journal keeps, out of the JSON, what a replay needs
(``ReplaySource``: the parsed callback, the expanded body and the upload), for as long as
the entry itself is kept. A replayed entry carries ``"replay_of"``; an entry a fault
changed carries ``"fault"`` (the fault as it fired; ``"faults"`` lists all of them).
"""

from __future__ import annotations

import base64
import itertools
import threading
from collections import OrderedDict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from emulator.callback.delivery import Attempt
from emulator.callback.model import CallbackRequest, CallbackSpec, CallbackVerdict

Entry = dict[str, Any]


@dataclass(frozen=True)
class ReplaySource:
    """What re-sending a recorded callback needs: the callback, its body, its upload."""

    spec: CallbackSpec
    body: bytes
    upload: Mapping[str, str]


def _text(data: bytes) -> dict[str, str]:
    """Body bytes for JSON: UTF-8 text when it decodes, Base64 otherwise."""
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode("ascii")}


def make_entry(
    *,
    upload: Mapping[str, str],
    request: CallbackRequest,
    attempt: Attempt,
    verdict: CallbackVerdict,
    time: float,
) -> Entry:
    """One journal entry (ids and times are added by ``Journal.record``)."""
    target = urlsplit(request.url)
    path = (target.path or "/") + (f"?{target.query}" if "?" in request.url else "")
    return {
        "time": time,
        "upload": dict(upload),
        "url": request.url,
        "request": {
            "line": f"{request.method} {path} HTTP/1.1",
            "headers": [[name, value] for name, value in request.headers],
            "body": _text(request.body),
            "string_to_sign": _text(request.string_to_sign),
            "sni": request.sni_hostname,
        },
        "response": {
            "status": attempt.status,
            "headers": [[name, value] for name, value in attempt.headers],
            "body": _text(attempt.body),
            "error": attempt.error,
        },
        "duration_ms": round(attempt.elapsed * 1000, 3),
        "verdict": "success" if verdict.ok else "failure",
        "message": None if verdict.ok else verdict.message,
        "ec": None if verdict.ok else verdict.ec,
    }


class Journal:
    """Thread-safe, bounded list of callback attempts."""

    def __init__(self, limit: int = 1000) -> None:
        self._limit = limit
        self._entries: deque[Entry] = deque(maxlen=limit)
        self._sources: OrderedDict[int, ReplaySource] = OrderedDict()
        self._ids = itertools.count(1)
        self._changed = threading.Condition()

    def record(self, entry: Entry, source: ReplaySource | None = None) -> Entry:
        with self._changed:
            entry = {"id": next(self._ids), **entry}
            self._entries.append(entry)
            if source is not None:
                self._sources[entry["id"]] = source
                while len(self._sources) > self._limit:
                    self._sources.popitem(last=False)
            self._changed.notify_all()
        return entry

    def get(self, entry_id: int) -> tuple[Entry, ReplaySource | None] | None:
        """The entry with this id and its replay source, or None when not (or no longer) kept."""
        with self._changed:
            for entry in self._entries:
                if entry["id"] == entry_id:
                    return entry, self._sources.get(entry_id)
            return None

    def entries(self) -> list[Entry]:
        with self._changed:
            return list(self._entries)

    def clear(self) -> None:
        with self._changed:
            self._entries.clear()
            self._sources.clear()

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> Sequence[Entry]:
        """Block until at least ``count`` entries exist; return them (TimeoutError if not)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._entries) >= count, timeout):
                raise TimeoutError(f"{len(self._entries)} of {count} callbacks after {timeout} s")
            return list(self._entries)
