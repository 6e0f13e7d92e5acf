"""A PostObject form, read as it streams in (rest-api.md §8.1).

python-multipart parses the ``multipart/form-data`` body chunk by chunk; the fields before
``file`` are collected (within the documented limits: all field names 8 KB, all values
2 MB), the ``file`` part streams straight into a blob writer and is never held whole, and
everything after it is ignored, as OSS ignores it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from emulator.errors import FieldItemTooLong, MalformedPOSTRequest
from emulator.storage.base import BlobWriter

MAX_NAMES = 8 * 1024
MAX_VALUES = 2 * 1024 * 1024


@dataclass
class ReceivedForm:
    """The fields before ``file`` in order, and the file part, if one arrived."""

    fields: list[tuple[str, str]] = field(default_factory=list)
    file_name: str | None = None
    file_content_type: str | None = None
    blob: BlobWriter | None = None
    complete: bool = False


def boundary_of(content_type: str | None) -> bytes:
    """The multipart boundary, or MalformedPOSTRequest when this is not a form upload."""
    kind, options = parse_options_header(content_type or "")
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise MalformedPOSTRequest()
    return boundary


class FormReader:
    """Feed body chunks; after ``finish()``, ``form`` holds what counted."""

    def __init__(self, boundary: bytes, new_blob: Callable[[], BlobWriter]) -> None:
        self.form = ReceivedForm()
        self._new_blob = new_blob
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, str] = {}
        self._data = bytearray()
        self._part: str | None = None  # "field", "file", "ignored"
        self._name = ""
        self._names_total = 0
        self._values_total = 0
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": lambda d, s, e: self._header_name.extend(d[s:e]),
                "on_header_value": lambda d, s, e: self._header_value.extend(d[s:e]),
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        try:
            self._parser.write(chunk)
        except MultipartParseError:
            raise MalformedPOSTRequest() from None

    def finish(self) -> ReceivedForm:
        try:
            self._parser.finalize()
        except MultipartParseError:
            raise MalformedPOSTRequest() from None
        if not self.form.complete:
            raise MalformedPOSTRequest()
        return self.form

    def abort(self) -> None:
        if self.form.blob is not None:
            self.form.blob.abort()

    # --- parser callbacks ---------------------------------------------------------------

    def _part_begin(self) -> None:
        self._headers = {}
        self._data = bytearray()

    def _header_end(self) -> None:
        name = self._header_name.decode("latin-1").strip().lower()
        self._headers[name] = self._header_value.decode("utf-8", "replace").strip()
        self._header_name.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        if self.form.blob is not None or self.form.complete:
            self._part = "ignored"  # fields after the file do not count (§8.1)
            return
        # As bytes: given text, parse_options_header encodes it as latin-1, which fails on
        # the UTF-8 file names browsers send (filename="中文.png").
        disposition = self._headers.get("content-disposition", "").encode("utf-8")
        _, options = parse_options_header(disposition)
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if not name:
            raise MalformedPOSTRequest()
        self._name = name
        self._names_total += len(name.encode())
        if self._names_total > MAX_NAMES:
            raise FieldItemTooLong()
        if name.lower() == "file":
            self._part = "file"
            filename = options.get(b"filename")
            self.form.file_name = None if filename is None else filename.decode("utf-8", "replace")
            self.form.file_content_type = self._headers.get("content-type")
            self.form.blob = self._new_blob()
        else:
            self._part = "field"

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part == "file":
            assert self.form.blob is not None
            self.form.blob.write(data[start:end])
        elif self._part == "field":
            self._values_total += end - start
            if self._values_total > MAX_VALUES:
                raise FieldItemTooLong()
            self._data.extend(data[start:end])

    def _part_end(self) -> None:
        if self._part == "field":
            self.form.fields.append((self._name, self._data.decode("utf-8", "replace")))
        self._part = "ignored" if self._part == "file" else None

    def _end(self) -> None:
        self.form.complete = True
