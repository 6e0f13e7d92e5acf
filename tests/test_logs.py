"""One log line per request and per callback attempt, text or JSON (--log-format)."""

from __future__ import annotations

import base64
import json
import logging
import re
import subprocess
import sys
import time

import httpx
import oss2
import pytest

from emulator.logs import JsonFormatter, TextFormatter
from emulator.receiver import CallbackReceiver


def record(**fields: object) -> logging.LogRecord:
    return logging.makeLogRecord({"msg": "x", "created": 0.0, **fields})


class TestFormatters:
    """The two formats carry the same fields."""

    def test_request_line(self) -> None:
        """Text: time, method, path, status, request id, milliseconds."""
        line = TextFormatter().format(
            record(kind="request", method="PUT", path="/b/k", status=200, request_id="ABC", ms=1.25)
        )
        assert line == "1970-01-01T00:00:00Z PUT /b/k 200 ABC 1.2ms"

    def test_json_callback_line(self) -> None:
        """JSON: one object per line with every field."""
        line = JsonFormatter().format(
            record(
                kind="callback",
                url="http://a/cb",
                status=500,
                verdict="failure",
                failure="Error status : 500.",
                request_id="ABC",
                ms=3.0,
            )
        )
        assert json.loads(line) == {
            "time": "1970-01-01T00:00:00Z",
            "kind": "callback",
            "url": "http://a/cb",
            "status": 500,
            "verdict": "failure",
            "failure": "Error status : 500.",
            "request_id": "ABC",
            "ms": 3.0,
        }


@pytest.mark.slow
def test_cli_json_lines(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The command line logs each request and callback attempt as JSON on standard error."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path),
            "--log-format",
            "json",
            "--seed",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        url = ""
        while not url:
            match = re.search(r"listening on (http://\S+)", process.stdout.readline())
            url = match.group(1) if match else ""
        bucket = oss2.Bucket(
            oss2.Auth("LTAI5tEmulatorAccessKey", "EmulatorAccessKeySecretForLocalTests"),
            url,
            "test-bucket",
        )
        with CallbackReceiver() as receiver:
            callback = base64.b64encode(
                json.dumps({"callbackUrl": receiver.url(), "callbackBody": "a=b"}).encode()
            ).decode()
            result = bucket.put_object("logged.txt", b"x", headers={"x-oss-callback": callback})
        missing = httpx.get(f"{url}/test-bucket/nope")
        time.sleep(0.2)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    # Every line is a JSON document, uvicorn's own start and shutdown lines included.
    lines = [json.loads(line) for line in stderr.splitlines()]
    assert any("Started server process" in line.get("message", "") for line in lines)
    requests = [line for line in lines if line.get("kind") == "request"]
    callbacks = [line for line in lines if line.get("kind") == "callback"]
    put = next(line for line in requests if line["method"] == "PUT")
    assert (put["path"], put["status"], put["request_id"]) == (
        "/test-bucket/logged.txt",
        200,
        result.request_id,
    )
    assert put["ms"] > 0
    (attempt,) = callbacks
    assert (attempt["verdict"], attempt["status"], attempt["request_id"]) == (
        "success",
        200,
        result.request_id,
    )
    key_fetch = next(line for line in requests if line["path"] == "/callback_pub_key_v1.pem")
    assert key_fetch["status"] == 200  # the receiver fetched the public key to verify
    get = next(line for line in requests if line["path"] == "/test-bucket/nope")
    assert (get["status"], get["request_id"]) == (403, missing.headers["x-oss-request-id"])
