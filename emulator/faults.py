"""Fault injection: the faults a test switches on, and which one fires for an upload.

Plain state and matching, no I/O (the handlers sleep, refuse or fail; issue: replay and
faults). A fault is one of five kinds:

- ``lose_reply``: the callback is delivered and the application answers, but the
  uploader gets 203 ``Cost too long time.`` (EC 0007-00000202), what OSS answers when the
  application's reply does not come back in time. The application *did* get the callback:
  this tests its idempotency when the uploader retries. Fires only on a callback the
  application accepted (a failing callback is a 203 anyway);
- ``delay``: ``seconds`` of waiting before the callback is delivered;
- ``refuse``: OSS does not call at all; the uploader gets 203 ``Too many callback
  requests.`` (EC 0007-00000201, callback.md §9.3);
- ``slow_upload``: ``seconds`` of waiting before an upload is handled (so before storing);
- ``fail_upload``: the upload answers 500 ``InternalError`` and nothing is stored.

Optional on every fault: ``times`` (fire that many times, then stay listed as inactive;
default unlimited), ``bucket`` (only that bucket) and ``key_prefix`` (only keys with that
prefix; an upload whose key is not in the URL, PostObject, never matches a prefix).
Each firing counts in ``fired`` and ``last_fired``; callback faults are also recorded in
the journal entry of the callback they changed.
"""

from __future__ import annotations

import itertools
import math
import threading
from dataclasses import dataclass
from typing import Any

LOSE_REPLY = "lose_reply"
DELAY = "delay"
REFUSE = "refuse"
SLOW_UPLOAD = "slow_upload"
FAIL_UPLOAD = "fail_upload"

CALLBACK_KINDS = (REFUSE, DELAY, LOSE_REPLY)
UPLOAD_KINDS = (FAIL_UPLOAD, SLOW_UPLOAD)
KINDS = CALLBACK_KINDS + UPLOAD_KINDS
TIMED_KINDS = frozenset({DELAY, SLOW_UPLOAD})
MAX_SECONDS = 600.0
_FIELDS = frozenset({"kind", "seconds", "times", "bucket", "key_prefix"})


class FaultError(ValueError):
    """A fault description that cannot be used (the control API answers 400)."""


@dataclass
class Fault:
    """One fault switched on; ``fired`` counts its firings."""

    id: int
    kind: str
    created: float
    seconds: float | None = None
    times: int | None = None
    bucket: str | None = None
    key_prefix: str | None = None
    fired: int = 0
    last_fired: float | None = None

    @property
    def active(self) -> bool:
        return self.times is None or self.fired < self.times

    def matches(self, bucket: str | None, key: str | None) -> bool:
        if self.bucket is not None and bucket != self.bucket:
            return False
        if self.key_prefix is not None and (key is None or not key.startswith(self.key_prefix)):
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "seconds": self.seconds,
            "times": self.times,
            "bucket": self.bucket,
            "key_prefix": self.key_prefix,
            "fired": self.fired,
            "last_fired": self.last_fired,
            "active": self.active,
            "created": self.created,
        }


def _optional_text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FaultError(f"{name} must be a string")
    return value


def parse_fault(data: object, *, fault_id: int, now: float) -> Fault:
    """A ``Fault`` from the JSON a client posted.

    Args:
        data: the decoded JSON (an object with ``kind`` and the kind's options).
        fault_id: the id to give it.
        now: the creation time.

    Returns:
        The fault.

    Raises:
        FaultError: not an object, unknown kind or field, or a bad value.
    """
    if not isinstance(data, dict):
        raise FaultError("a fault is a JSON object with a kind")
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise FaultError(f"unknown fields {unknown}; known: {sorted(_FIELDS)}")
    kind = data.get("kind")
    if kind not in KINDS:
        raise FaultError(f"kind must be one of {list(KINDS)}, not {kind!r}")
    seconds: float | None = None
    if kind in TIMED_KINDS:
        value = data.get("seconds")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise FaultError(f"{kind} needs seconds (a number)")
        seconds = float(value)
        if not (math.isfinite(seconds) and 0 <= seconds <= MAX_SECONDS):
            raise FaultError(f"seconds must be between 0 and {MAX_SECONDS:g}")
    elif data.get("seconds") is not None:
        raise FaultError(f"{kind} takes no seconds")
    times = data.get("times")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise FaultError("times must be a positive integer")
    return Fault(
        id=fault_id,
        kind=kind,
        created=now,
        seconds=seconds,
        times=times,
        bucket=_optional_text(data, "bucket"),
        key_prefix=_optional_text(data, "key_prefix"),
    )


class Faults:
    """The faults switched on, oldest first; thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, data: object, now: float) -> dict[str, Any]:
        """Switch a fault on (``FaultError`` if the description is bad); its JSON."""
        with self._lock:
            fault = parse_fault(data, fault_id=next(self._ids), now=now)
            self._faults.append(fault)
            return fault.to_json()

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.to_json() for fault in self._faults]

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            kept = [fault for fault in self._faults if fault.id != fault_id]
            found = len(kept) != len(self._faults)
            self._faults = kept
            return found

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def fire(self, kind: str, bucket: str | None, key: str | None, now: float) -> Fault | None:
        """The oldest active fault of ``kind`` matching the target, counted as fired."""
        with self._lock:
            for fault in self._faults:
                if fault.kind == kind and fault.active and fault.matches(bucket, key):
                    fault.fired += 1
                    fault.last_fired = now
                    return Fault(**vars(fault))  # a snapshot
            return None
