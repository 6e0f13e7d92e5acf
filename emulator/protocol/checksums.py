"""Checksums OSS puts on the wire: CRC-64/XZ and ETags (rest-api.md §9.2-§9.4, decisions R2, R3).

Pure functions over bytes and digests; no I/O. CRC-64 is the variant OSS sends in
``x-oss-hash-crc64ecma`` (CRC-64/XZ, ``"123456789"`` -> 11051210869376104954), computed by
the C-backed ``anycrc`` package. ``crc64_combine`` is zlib's ``crc32_combine`` method over
GF(2): the CRC of ``a + b`` from ``crc64(a)``, ``crc64(b)`` and ``len(b)``, in time
logarithmic in ``len(b)``. It lets multipart completion and append compute the whole
object's CRC without reading the data (R9). Vectors: ``fixtures/vectors/crc64.json``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Sequence

import anycrc  # type: ignore[import-untyped]  # no stubs; calc/combine return int

from emulator.errors import InvalidDigest

_CRC64_XZ = anycrc.Model("CRC64-XZ")


def crc64(data: bytes, init: int = 0) -> int:
    """CRC-64/XZ of ``data``.

    Args:
        data: the bytes (any bytes-like object).
        init: the CRC of the bytes that precede ``data``; 0 (the CRC of nothing) to start.

    Returns:
        The CRC of the preceding bytes followed by ``data``, as an unsigned integer.
    """
    return int(_CRC64_XZ.calc(data, init))


def crc64_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-64 of ``a + b`` given ``crc64(a)``, ``crc64(b)`` and ``len(b)``.

    Args:
        crc1: CRC of the first part.
        crc2: CRC of the second part.
        len2: length of the second part in bytes.

    Returns:
        The CRC of the concatenation.
    """
    if len2 == 0:
        return crc1
    return int(_CRC64_XZ.combine(crc1, crc2, len2))


class Crc64:
    """A streaming CRC-64/XZ: ``update`` with successive chunks, read ``value``."""

    __slots__ = ("value",)

    def __init__(self, init: int = 0) -> None:
        self.value = init

    def update(self, data: bytes) -> None:
        """Feed the next chunk."""
        self.value = int(_CRC64_XZ.calc(data, self.value))


def etag_from_md5(md5: bytes) -> str:
    """The ETag of a single-part body: ``"`` + uppercase hex MD5 + ``"`` (R2).

    Args:
        md5: the binary (16-byte) MD5 digest.

    Returns:
        The quoted ETag, e.g. ``"5EB63BBBE01EEED093CB22BB8F5ACDC3"`` for ``hello world``.
    """
    return f'"{md5.hex().upper()}"'


def multipart_etag(md5s: Sequence[bytes]) -> str:
    """The ETag of a multipart object: MD5 of the concatenated binary part MD5s, ``-N`` (R2).

    Args:
        md5s: the binary MD5 of each part, in part order.

    Returns:
        The quoted ETag, e.g. ``"E09E4FD6265B36115FE3DB32DF945D84-2"`` for parts ``hello ``
        and ``world``.
    """
    digest = hashlib.md5(b"".join(md5s), usedforsecurity=False).hexdigest().upper()
    return f'"{digest}-{len(md5s)}"'


def appendable_etag(crc: int, size: int) -> str:
    """The ETag the emulator gives an Appendable object: derived from its CRC-64 and size.

    OSS documents only that the ETag of an object not made by PutObject is "a unique value
    calculated based on a specific rule", not its MD5. The MD5 of a whole appendable object
    would cost a re-read of everything on each append (an MD5 state cannot be resumed
    later), so the emulator uses the uppercase hex MD5 of the big-endian 8-byte CRC-64
    followed by the 8-byte size: it changes with every append, costs nothing, and has the
    shape of a single-part ETag. Knowingly not what real OSS computes.

    Args:
        crc: CRC-64 of the whole object.
        size: its size in bytes.

    Returns:
        The quoted ETag.
    """
    return etag_from_md5(hashlib.md5(struct.pack(">QQ", crc, size), usedforsecurity=False).digest())


def _bare(etag: str) -> str:
    return etag.strip().strip('"').upper()


def etag_matches(a: str, b: str) -> bool:
    """Whether two ETags are equal, ignoring surrounding quotes and case (rest-api.md §9.2).

    Args:
        a: an ETag, quoted or not.
        b: another.

    Returns:
        True when they name the same content.
    """
    return _bare(a) == _bare(b)


def parse_content_md5(value: str) -> bytes:
    """The binary MD5 carried by a ``Content-MD5`` header (rest-api.md §9.4, §17 G12).

    Args:
        value: the header value, Base64 of the 16-byte digest.

    Returns:
        The 16 bytes.

    Raises:
        InvalidDigest: the value is not Base64 of exactly 16 bytes.
    """
    try:
        digest = base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise InvalidDigest() from None
    if len(digest) != 16:
        raise InvalidDigest()
    return digest


def check_content_md5(declared: str | None, actual: bytes) -> None:
    """Compare a body's MD5 with the ``Content-MD5`` its sender declared, if any (§9.4).

    Args:
        declared: the ``Content-MD5`` header or PostObject field, or None when absent.
        actual: the binary MD5 of the body received.

    Raises:
        InvalidDigest: the declared value is not Base64 of 16 bytes, or does not match.
    """
    if declared is not None and parse_content_md5(declared) != actual:
        raise InvalidDigest()
