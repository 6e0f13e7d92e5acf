"""Tests for emulator.protocol.cors: preflights and actual responses (§12, R8, S3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.errors import AccessForbidden, BadRequest
from emulator.protocol.cors import (
    CORS_METHODS,
    CorsConfig,
    CorsRule,
    actual_headers,
    preflight,
    wildcard_match,
)

README_RULE = CorsRule(("*",), CORS_METHODS, ("*",), ("ETag",), None)
CONFIG = CorsConfig(
    rules=(
        CorsRule(("http://app.example.com",), ("GET",), ("x-oss-date",), ("x-oss-request-id",), 60),
        CorsRule(("http://*.example.com",), ("PUT", "GET"), ("x-oss-*", "Content-*"), ("ETag",)),
    )
)


def _preflight(config: CorsConfig | None, **kwargs: object) -> dict[str, str]:
    args: dict[str, object] = {
        "origin": "http://app.example.com",
        "method": "GET",
        "request_headers": None,
        "default_allow": True,
    }
    args.update(kwargs)
    return dict(preflight(config, **args))  # type: ignore[arg-type]


class TestWildcard:
    """wildcard_match handles one * anywhere."""

    @pytest.mark.parametrize(
        ("pattern", "value", "expected"),
        [
            ("*", "anything", True),
            ("*", "", True),
            ("http://*.a.com", "http://x.a.com", True),
            ("http://*.a.com", "http://a.com", False),
            ("x-oss-*", "x-oss-meta-a", True),
            ("*-end", "a-end", True),
            ("ab*ba", "aba", False),
            ("exact", "exact", True),
            ("exact", "Exact", False),
        ],
    )
    def test_table(self, pattern: str, value: str, expected: bool) -> None:
        """Prefix and suffix must both match without overlapping."""
        assert wildcard_match(pattern, value) is expected

    @given(st.text(max_size=8), st.text(max_size=8), st.text(max_size=8))
    def test_star_matches_any_middle(self, head: str, middle: str, tail: str) -> None:
        """head*tail matches head+anything+tail."""
        head, tail = head.replace("*", ""), tail.replace("*", "")
        assert wildcard_match(f"{head}*{tail}", head + middle + tail)


class TestPreflight:
    """preflight answers OPTIONS requests (§12.1)."""

    def test_missing_origin(self) -> None:
        """No Origin is BadRequest with OSS's message."""
        with pytest.raises(BadRequest) as info:
            _preflight(CONFIG, origin=None)
        assert info.value.error_message == "Insufficient information. Origin request header needed."

    def test_missing_method(self) -> None:
        """No Access-Control-Request-Method is BadRequest with OSS's message."""
        with pytest.raises(BadRequest) as info:
            _preflight(None, method=None)
        assert info.value.error_message == (
            "Insufficient information. Access-Control-Request-Method header needed."
        )

    def test_default_allows_everything(self) -> None:
        """Without rules: the origin echoed, all methods, the requested headers, Vary."""
        answer = _preflight(
            None,
            origin="http://localhost:5173",
            method="PUT",
            request_headers="authorization, X-OSS-Date,x-oss-user-agent",
        )
        assert answer["Access-Control-Allow-Origin"] == "http://localhost:5173"
        assert answer["Access-Control-Allow-Methods"] == "GET, PUT, POST, DELETE, HEAD"
        assert (
            answer["Access-Control-Allow-Headers"] == "authorization, x-oss-date, x-oss-user-agent"
        )
        assert answer["Access-Control-Expose-Headers"].startswith("*, ETag, x-oss-request-id")
        assert answer["Vary"] == "Origin"

    def test_empty_config_is_default(self) -> None:
        """A configuration without rules behaves like none."""
        assert _preflight(CorsConfig(rules=())) == _preflight(None)

    def test_default_off(self) -> None:
        """Without rules and with the default off, AccessForbidden."""
        with pytest.raises(AccessForbidden):
            _preflight(None, default_allow=False)

    def test_default_refuses_unknown_method(self) -> None:
        """The default allows only the five OSS methods."""
        with pytest.raises(AccessForbidden):
            _preflight(None, method="PATCH")

    def test_first_matching_rule(self) -> None:
        """The first rule that matches origin, method and headers answers."""
        answer = _preflight(CONFIG, request_headers="x-oss-date")
        assert answer == {
            "Access-Control-Allow-Origin": "http://app.example.com",
            "Access-Control-Allow-Methods": "GET",
            "Access-Control-Allow-Headers": "x-oss-date",
            "Access-Control-Expose-Headers": "x-oss-request-id",
            "Access-Control-Max-Age": "60",
        }

    def test_falls_through_to_wildcard_rule(self) -> None:
        """A header the first rule lacks moves matching to the next rule."""
        answer = _preflight(CONFIG, method="PUT", request_headers="Content-Type, x-oss-meta-a")
        assert answer["Access-Control-Allow-Methods"] == "PUT, GET"
        assert answer["Access-Control-Allow-Headers"] == "content-type, x-oss-meta-a"
        assert answer["Access-Control-Expose-Headers"] == "ETag"
        assert "Access-Control-Max-Age" not in answer
        assert "Vary" not in answer

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"origin": "http://evil.com"},
            {"method": "DELETE"},
            {"request_headers": "authorization"},
            {"origin": "https://app.example.com"},
        ],
    )
    def test_no_rule_matches(self, kwargs: dict[str, str]) -> None:
        """Origin, method or a header outside every rule: AccessForbidden."""
        with pytest.raises(AccessForbidden):
            _preflight(CONFIG, **kwargs)

    def test_star_origin_answers_star(self) -> None:
        """A rule with AllowedOrigin * answers *; the README rule allows ali-oss's headers."""
        answer = _preflight(CorsConfig((README_RULE,)), request_headers="authorization,x-oss-date")
        assert answer["Access-Control-Allow-Origin"] == "*"
        assert answer["Access-Control-Expose-Headers"] == "ETag"

    def test_response_vary(self) -> None:
        """ResponseVary true adds Vary: Origin."""
        answer = _preflight(CorsConfig((README_RULE,), response_vary=True))
        assert answer["Vary"] == "Origin"


class TestActualHeaders:
    """actual_headers decorates ordinary responses (§12.2)."""

    names = ["ETag", "x-oss-request-id", "x-oss-meta-author", "Content-Length", "etag"]

    def test_default_exposes_everything(self) -> None:
        """Without rules: origin echoed, every response header exposed once, Vary: Origin."""
        answer = dict(
            actual_headers(
                None,
                origin="http://localhost:3000",
                method="GET",
                response_header_names=self.names,
                default_allow=True,
            )
        )
        assert answer["Access-Control-Allow-Origin"] == "http://localhost:3000"
        exposed = answer["Access-Control-Expose-Headers"].split(", ")
        assert exposed[0] == "*"
        for name in (
            "ETag",
            "x-oss-request-id",
            "x-oss-hash-crc64ecma",
            "x-oss-meta-author",
            "Content-Length",
            "x-oss-next-append-position",
        ):
            assert name in exposed
        assert len(exposed) == len({name.lower() for name in exposed})
        assert answer["Vary"] == "Origin"

    def test_default_without_origin_or_disabled(self) -> None:
        """No Origin, or the default off: nothing added."""
        assert (
            actual_headers(
                None,
                origin=None,
                method="GET",
                response_header_names=self.names,
                default_allow=True,
            )
            == []
        )
        assert (
            actual_headers(
                None, origin="http://a", method="GET", response_header_names=[], default_allow=False
            )
            == []
        )

    def test_rule_match(self) -> None:
        """A matching rule gives its origin, methods, expose list and max age."""
        answer = actual_headers(
            CONFIG,
            origin="http://app.example.com",
            method="GET",
            response_header_names=self.names,
            default_allow=True,
        )
        assert answer == [
            ("Access-Control-Allow-Origin", "http://app.example.com"),
            ("Access-Control-Allow-Methods", "GET"),
            ("Access-Control-Expose-Headers", "x-oss-request-id"),
            ("Access-Control-Max-Age", "60"),
        ]

    def test_rule_no_match(self) -> None:
        """No matching rule: no CORS headers (and no Vary without ResponseVary)."""
        assert (
            actual_headers(
                CONFIG,
                origin="http://evil.com",
                method="GET",
                response_header_names=self.names,
                default_allow=True,
            )
            == []
        )
        assert (
            actual_headers(
                CONFIG,
                origin="http://x.example.com",
                method="DELETE",
                response_header_names=self.names,
                default_allow=True,
            )
            == []
        )

    def test_response_vary_on_every_response(self) -> None:
        """ResponseVary true: Vary: Origin even without Origin or a match."""
        config = CorsConfig(CONFIG.rules, response_vary=True)
        for origin in (None, "http://evil.com"):
            assert actual_headers(
                config, origin=origin, method="GET", response_header_names=[], default_allow=True
            ) == [("Vary", "Origin")]
        matched = actual_headers(
            config,
            origin="http://x.example.com",
            method="PUT",
            response_header_names=[],
            default_allow=True,
        )
        assert matched[0] == ("Access-Control-Allow-Origin", "http://x.example.com")
        assert matched[-1] == ("Vary", "Origin")
