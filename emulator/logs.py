"""One concise log line per request and per callback attempt, as text or JSON.

Records go to the ``emulator.access`` and ``emulator.callback`` loggers with their fields in
``extra`` (``method``, ``path``, ``status``, ``request_id``, ``ms``; callbacks add ``url``,
``verdict`` and ``failure``, the 203 message). ``configure`` (called by the command line)
prints them on standard error:

    text: 2026-11-25T21:38:07Z PUT /test-bucket/a.txt 200 5F1C...E2 0.8ms
    json: {"time": "2026-11-25T21:38:07Z", "kind": "request", "method": "PUT", ...}

Library users (the pytest fixture) get the records without handlers, as usual for logging.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

ACCESS = logging.getLogger("emulator.access")
CALLBACK = logging.getLogger("emulator.callback")
FIELDS = ("kind", "method", "path", "status", "request_id", "ms", "url", "verdict", "failure")


def _stamp(record: logging.LogRecord) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields a request or callback record carries."""
    return {name: getattr(record, name) for name in FIELDS if hasattr(record, name)}


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = fields_of(record)
        if fields.get("kind") == "callback":
            tail = f" {fields['failure']}" if fields.get("failure") else ""
            return (
                f"{_stamp(record)} callback POST {fields['url']} {fields['status']} "
                f"{fields['verdict']} {fields['request_id']} {fields['ms']:.1f}ms{tail}"
            )
        if fields.get("kind") == "request":
            return (
                f"{_stamp(record)} {fields['method']} {fields['path']} {fields['status']} "
                f"{fields['request_id']} {fields['ms']:.1f}ms"
            )
        return f"{_stamp(record)} {record.getMessage()}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        document = {"time": _stamp(record), **fields_of(record)}
        if "kind" not in document:
            document["message"] = record.getMessage()
        return json.dumps(document, ensure_ascii=False)


def configure(log_format: str, level: str) -> None:
    """Print request and callback lines on standard error in ``log_format``.

    In JSON mode uvicorn's own lines (start, shutdown, errors) become JSON documents too, so
    every line on standard error parses; call this after building the uvicorn config, which
    installs uvicorn's handlers.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    for logger in (ACCESS, CALLBACK):
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO if level in ("info", "debug", "trace") else logging.WARNING)
        logger.propagate = False
    if log_format == "json":
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
            server_logger = logging.getLogger(name)
            server_logger.handlers[:] = [handler]
            server_logger.propagate = False


def request_line(method: str, path: str, status: int, request_id: str, ms: float) -> None:
    if ACCESS.isEnabledFor(logging.INFO):
        ACCESS.info(
            "%s %s %d",
            method,
            path,
            status,
            extra={
                "kind": "request",
                "method": method,
                "path": path,
                "status": status,
                "request_id": request_id,
                "ms": round(ms, 3),
            },
        )


def callback_line(
    url: str, status: int | None, verdict: str, failure: str | None, request_id: str, ms: float
) -> None:
    if CALLBACK.isEnabledFor(logging.INFO):
        CALLBACK.info(
            "callback %s %s",
            url,
            verdict,
            extra={
                "kind": "callback",
                "url": url,
                "status": status,
                "verdict": verdict,
                "failure": failure,
                "request_id": request_id,
                "ms": round(ms, 3),
            },
        )
