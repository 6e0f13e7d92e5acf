"""Image metadata for ${imageInfo.*} from real files of each format (C23)."""

from __future__ import annotations

import pytest

from emulator.imaging import PREFIX_BYTES, ImageInfo, image_info
from tests.conftest import FIXTURES

IMAGES = FIXTURES / "images"


class TestImageInfo:
    """Format, width and height come from the bytes, as stored."""

    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("sample.png", ImageInfo(31, 17, "png")),
            ("sample.jpg", ImageInfo(40, 23, "jpg")),
            ("sample.gif", ImageInfo(13, 29, "gif")),
            ("sample.bmp", ImageInfo(9, 11, "bmp")),
            ("sample.webp", ImageInfo(50, 21, "webp")),
            ("sample.tiff", ImageInfo(12, 34, "tiff")),
            ("sample.heic", ImageInfo(64, 48, "heic")),
            ("sample.avif", ImageInfo(33, 19, "avif")),
            ("rotated-exif.jpg", ImageInfo(48, 16, "jpg")),
        ],
    )
    def test_each_format(self, name: str, expected: ImageInfo) -> None:
        """Each fixture image gives its documented size and lowercase format."""
        assert image_info((IMAGES / name).read_bytes()) == expected

    def test_not_an_image(self) -> None:
        """Text is not an image: None, so the variables expand to empty."""
        assert image_info((IMAGES / "not-an-image.txt").read_bytes()) is None

    def test_truncated_and_empty(self) -> None:
        """A prefix too short to hold the header, or nothing at all, is None, not an error."""
        assert image_info(b"") is None
        assert image_info((IMAGES / "sample.png").read_bytes()[:10]) is None

    def test_large_image_header_only(self) -> None:
        """An 80-megapixel size is read from a 45-byte header: nothing is decoded."""
        import struct
        import zlib

        def chunk(kind: bytes, data: bytes) -> bytes:
            return (
                struct.pack(">I", len(data))
                + kind
                + data
                + struct.pack(">I", zlib.crc32(kind + data))
            )

        header = b"\x89PNG\r\n\x1a\n" + chunk(
            b"IHDR", struct.pack(">IIBBBBB", 10000, 8000, 8, 2, 0, 0, 0)
        )
        header += chunk(b"IDAT", b"")  # the header ends where pixel data would begin
        assert image_info(header) == ImageInfo(10000, 8000, "png")
        assert PREFIX_BYTES >= 64 * 1024
