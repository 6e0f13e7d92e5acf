"""Tests for emulator.errors rendered through emulator.protocol.xml.render_error (§10)."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from typing import Any

import oss2.exceptions
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator import errors
from emulator.errors import OSSError
from emulator.protocol.xml import render_error

ALL = errors.all_error_classes()


class _Response:
    """The part of an oss2 HTTP response that oss2.exceptions.make_exception reads."""

    def __init__(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.request_id = "R"

    def read(self, amt: Any = None) -> bytes:
        return self.body


def _render(err: OSSError) -> ET.Element:
    return ET.fromstring(
        render_error(err, request_id="5C3D9175B6FC201293AD4F1B", host_id="b.localhost:1")
    )


class TestEveryErrorClass:
    """Each concrete error class renders as §10.1 says."""

    def test_classes_found(self) -> None:
        """all_error_classes finds the whole catalogue."""
        assert len(ALL) >= 30
        assert {cls.__name__ for cls in ALL} >= {"NoSuchKey", "CallbackFailed", "NotImplemented"}

    @pytest.mark.parametrize("cls", ALL, ids=lambda cls: cls.__name__)
    def test_renders_well_formed_with_code(self, cls: type[OSSError]) -> None:
        """The body is well-formed XML whose Code is the class name."""
        root = _render(cls())
        assert root.tag == "Error"
        assert root.findtext("Code") == cls.__name__
        assert root.findtext("Message") == cls.message
        tags = [child.tag for child in root]
        assert tags[:4] == ["Code", "Message", "RequestId", "HostId"]
        if cls.ec:
            assert tags[4:] == ["EC", "RecommendDoc"]
            assert root.findtext("RecommendDoc") == errors.RECOMMEND_DOC + cls.ec
        else:
            assert tags[4:] == []

    @pytest.mark.parametrize("cls", ALL, ids=lambda cls: cls.__name__)
    def test_oss2_reads_code(self, cls: type[OSSError]) -> None:
        """oss2.exceptions.make_exception reads our Code, Message and RequestId."""
        err = cls()
        body = render_error(err, request_id="RID", host_id="h")
        exc = oss2.exceptions.make_exception(_Response(err.status, body))
        assert exc.code == cls.__name__
        assert exc.message == cls.message
        assert exc.details["RequestId"] == "RID"


class TestDetails:
    """Extra elements, EC override and escaping."""

    def test_details_between_host_id_and_ec(self) -> None:
        """Details keep their order, between HostId and EC."""
        err = errors.NoSuchKey(Key="dir/a&b<c>", Extra="x")
        root = _render(err)
        assert [child.tag for child in root] == [
            "Code",
            "Message",
            "RequestId",
            "HostId",
            "Key",
            "Extra",
            "EC",
            "RecommendDoc",
        ]
        assert root.findtext("Key") == "dir/a&b<c>"
        assert root.findtext("EC") == "0026-00000001"

    def test_ec_override_and_message(self) -> None:
        """An instance EC and message replace the class defaults."""
        root = _render(errors.AccessDenied("Request has expired.", ec="0002-00000218"))
        assert root.findtext("Message") == "Request has expired."
        assert root.findtext("EC") == "0002-00000218"

    def test_head_error_header(self) -> None:
        """oss2 decodes the Base64 XML of x-oss-err on a body-less HEAD error."""
        body = render_error(errors.NoSuchKey(Key="k"), request_id="R", host_id="h")
        headers = {"x-oss-err": base64.b64encode(body).decode()}
        exc = oss2.exceptions.make_exception(_Response(404, b"", headers))
        assert isinstance(exc, oss2.exceptions.NoSuchKey)

    @given(st.text(), st.text())
    def test_any_text_stays_well_formed(self, message: str, detail: str) -> None:
        """Arbitrary messages and details (control characters, surrogates) give well-formed XML."""
        root = _render(errors.SignatureDoesNotMatch(message, StringToSign=detail))
        assert root.findtext("Code") == "SignatureDoesNotMatch"
