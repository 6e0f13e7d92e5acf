"""Tests for emulator.callback.judge: the application's answer (callback.md §8, C10, C11)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.callback.judge import (
    EC_DEFAULT,
    EC_NOT_JSON,
    EC_TIMEOUT,
    TOO_MANY_REQUESTS,
    is_json,
    judge,
)
from emulator.callback.model import CallbackFailure, CallbackSuccess
from emulator.errors import CallbackFailed

OK_BODY = b'{"Status":"OK"}'
OK_HEADERS = {"Content-Type": "application/json", "Content-Length": str(len(OK_BODY))}
CONNECT = "Error status : -1.OSS can not connect to your callbackUrl, please check it."
MISSING = "Error Status : 400.User server missing content-length."
INVALID = "Error Status : 400.User server return invalid conent-length value."
TOO_LONG = "Error Status : 400.User server return too long content-length value."
TIMEOUT = "Cost too long time."
NOT_JSON = "Response body is not valid json format."


def _call(**overrides: Any) -> Any:
    args: dict[str, Any] = {
        "status": 200,
        "headers": OK_HEADERS,
        "body": OK_BODY,
        "elapsed": 0.1,
        "timeout": 5.0,
        "error": None,
    }
    args.update(overrides)
    status, headers, body = args.pop("status"), args.pop("headers"), args.pop("body")
    return judge(status, headers, body, **args)


# (id, overrides, message, EC)
FAILURES: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "refused",
        {"status": None, "headers": {}, "body": b"", "error": "connection refused"},
        CONNECT,
        EC_DEFAULT,
    ),
    ("dns", {"status": None, "error": "name does not resolve"}, CONNECT, EC_DEFAULT),
    (
        "connect-timeout",
        {"status": None, "elapsed": 5.0, "error": "connect timeout"},
        CONNECT,
        EC_DEFAULT,
    ),
    ("error-wins-over-status", {"status": 500, "error": "tls"}, CONNECT, EC_DEFAULT),
    ("closed-without-answer", {"status": None, "headers": {}, "body": b""}, CONNECT, EC_DEFAULT),
    (
        "no-status-in-budget",
        {"status": None, "headers": {}, "body": b"", "elapsed": 5.0},
        TIMEOUT,
        EC_TIMEOUT,
    ),
    ("301", {"status": 301}, "Error status : 301.", EC_DEFAULT),
    ("201", {"status": 201}, "Error status : 201.", EC_DEFAULT),
    ("204", {"status": 204, "headers": {}, "body": b""}, "Error status : 204.", EC_DEFAULT),
    ("400", {"status": 400}, "Error status : 400.", EC_DEFAULT),
    ("502", {"status": 502}, "Error status : 502.", EC_DEFAULT),
    ("status-before-timeout", {"status": 500, "elapsed": 9.0}, "Error status : 500.", EC_DEFAULT),
    ("chunked", {"headers": {"Transfer-Encoding": "chunked"}}, MISSING, EC_DEFAULT),
    ("zero-length", {"headers": {"Content-Length": "0"}, "body": b""}, INVALID, EC_DEFAULT),
    ("zeros-length", {"headers": {"Content-Length": "000"}, "body": b""}, INVALID, EC_DEFAULT),
    ("negative-length", {"headers": {"Content-Length": "-5"}}, INVALID, EC_DEFAULT),
    ("signed-length", {"headers": {"Content-Length": "+15"}}, INVALID, EC_DEFAULT),
    ("text-length", {"headers": {"Content-Length": "abc"}}, INVALID, EC_DEFAULT),
    ("empty-length", {"headers": {"Content-Length": ""}}, INVALID, EC_DEFAULT),
    ("list-length", {"headers": {"Content-Length": "15, 15"}}, INVALID, EC_DEFAULT),
    ("too-long", {"headers": {"Content-Length": "1048577"}}, TOO_LONG, EC_DEFAULT),
    ("huge-length", {"headers": {"content-length": "9" * 5000}}, TOO_LONG, EC_DEFAULT),
    ("length-before-timeout", {"headers": {}, "elapsed": 6.0}, MISSING, EC_DEFAULT),
    ("slow", {"elapsed": 5.0}, TIMEOUT, EC_TIMEOUT),
    ("slow-and-not-json", {"elapsed": 7.5, "body": b"OK"}, TIMEOUT, EC_TIMEOUT),
    ("ok-text", {"body": b"OK", "headers": {"Content-Length": "2"}}, NOT_JSON, EC_NOT_JSON),
    ("bom", {"body": b"\xef\xbb\xbf{}", "headers": {"Content-Length": "5"}}, NOT_JSON, EC_NOT_JSON),
    ("truncated", {"body": b'{"a":', "headers": {"Content-Length": "9"}}, NOT_JSON, EC_NOT_JSON),
    ("not-utf8", {"body": b'"\xff"', "headers": {"Content-Length": "3"}}, NOT_JSON, EC_NOT_JSON),
    ("nan", {"body": b"NaN", "headers": {"Content-Length": "3"}}, NOT_JSON, EC_NOT_JSON),
    ("blank", {"body": b"  ", "headers": {"Content-Length": "2"}}, NOT_JSON, EC_NOT_JSON),
    ("two-values", {"body": b"{}{}", "headers": {"Content-Length": "4"}}, NOT_JSON, EC_NOT_JSON),
    (
        "html",
        {"body": b"<html></html>", "headers": {"Content-Length": "13"}},
        NOT_JSON,
        EC_NOT_JSON,
    ),
]


class TestFailures:
    """Each rule of callback.md §8 gives its message and EC, first match deciding."""

    @pytest.mark.parametrize(
        ("overrides", "message", "ec"), [pytest.param(*row[1:], id=row[0]) for row in FAILURES]
    )
    def test_failure(self, overrides: dict[str, Any], message: str, ec: str) -> None:
        """The verdict is a CallbackFailure with the exact message and EC."""
        assert _call(**overrides) == CallbackFailure(message, ec)

    def test_to_error(self) -> None:
        """A failure becomes a 203 CallbackFailed with its message and EC (§9.3)."""
        err = _call(status=301).to_error()
        assert isinstance(err, CallbackFailed)
        assert (err.status, err.error_message, err.error_ec) == (
            203,
            "Error status : 301.",
            "0007-00000203",
        )

    def test_too_many_requests(self) -> None:
        """The concurrency-limit failure uses EC 0007-00000201."""
        assert TOO_MANY_REQUESTS == CallbackFailure("Too many callback requests.", "0007-00000201")
        assert TOO_MANY_REQUESTS.ok is False


class TestSuccess:
    """A 200 with a sane Content-Length and a JSON body is a success (rule 8)."""

    @pytest.mark.parametrize(
        "body",
        [
            OK_BODY,
            b"[1,2]",
            b'"text"',
            b"42",
            b"-1.5e3",
            b"true",
            b"null",
            b' {"a":1}\n',
            b'{"big":123456789012345678901234567890}',
            b"[" + b"9" * 5000 + b"]",
            '{"中":"文"}'.encode(),
        ],
    )
    def test_any_json_value(self, body: bytes) -> None:
        """Any JSON value is accepted, body kept byte for byte (C10)."""
        headers = {"content-length": str(len(body))}
        verdict = _call(headers=headers, body=body)
        assert verdict == CallbackSuccess(200, (("content-length", str(len(body))),), body)
        assert verdict.ok is True

    def test_content_type(self) -> None:
        """The app's Content-Type is kept; application/json when absent (C9)."""
        assert _call().content_type == "application/json"
        verdict = _call(headers={"Content-Length": "15", "content-type": "text/plain"})
        assert verdict.content_type == "text/plain"
        assert _call(headers={"Content-Length": "15"}).content_type == "application/json"

    def test_limits(self) -> None:
        """Exactly 1 MiB and just under the budget are fine; spaces around the length too."""
        body = b'"' + b"a" * (1048576 - 2) + b'"'
        assert _call(headers={"Content-Length": "1048576"}, body=body).ok
        assert _call(elapsed=4.999).ok
        assert _call(headers={"Content-Length": " 15 "}).ok
        assert _call(headers={"Content-Length": "015"}).ok


class TestIsJson:
    """is_json is strict RFC 8259 JSON in UTF-8."""

    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            (b"{}", True),
            (b"\xef\xbb\xbf{}", False),
            (b"", False),
            (b"Infinity", False),
            (b"[" * 5000, False),
            (b'{"a":"\\ud800"}', True),
            (b"{'a':1}", False),
        ],
    )
    def test_cases(self, body: bytes, expected: bool) -> None:
        """BOM, empty, NaN/Infinity and deep garbage are not JSON; escapes are fine."""
        assert is_json(body) is expected


class TestTotality:
    """judge classifies any input without raising."""

    @given(
        status=st.none() | st.integers(-1000, 1000),
        headers=st.dictionaries(
            st.sampled_from(["Content-Length", "content-length", "Content-Type", "X"])
            | st.text(max_size=5),
            st.from_regex(r"[0-9]{0,8}", fullmatch=True) | st.text(max_size=8),
            max_size=3,
        ),
        body=st.binary(max_size=50) | st.just(OK_BODY),
        elapsed=st.floats(min_value=0, max_value=20),
        timeout=st.floats(min_value=0.01, max_value=10),
        error=st.none() | st.text(max_size=5),
    )
    def test_total(
        self,
        status: int | None,
        headers: dict[str, str],
        body: bytes,
        elapsed: float,
        timeout: float,
        error: str | None,
    ) -> None:
        """The verdict is a success only for a 200 within budget, else a known failure."""
        verdict = judge(status, headers, body, elapsed=elapsed, timeout=timeout, error=error)
        if verdict.ok:
            assert status == 200 and error is None and elapsed < timeout
            assert verdict.body == body
        else:
            assert verdict.ec in (EC_DEFAULT, EC_TIMEOUT, EC_NOT_JSON)
            assert verdict.message
