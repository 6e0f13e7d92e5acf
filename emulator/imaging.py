"""Width, height and format of an image, for ``${imageInfo.*}`` (callback.md §5.1, C23).

Read from the object's first bytes, never from its Content-Type, and only when a template
references ``imageInfo``. Pillow's ``Image.open`` is lazy: it parses headers and decodes
no pixels, so a bounded prefix (``PREFIX_BYTES``) is enough for every format here except
JPEGs whose metadata segments exceed it, which then count as "not an image" (empty values,
C23). HEIC comes from the pillow-heif plugin. Width and height are as stored: EXIF
orientation is not applied. Pillow's decompression-bomb guard stays in force (it is
process-wide state): images over about 179 million pixels count as not images.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

try:  # HEIC/HEIF support is a plugin; without it HEIC files are simply not images.
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - pillow-heif is a declared dependency
    pass

PREFIX_BYTES = 1 << 20  # how much of an object image detection may read

# Pillow's format names -> OSS's lowercase names (C23: "jpg" for JPEG).
FORMAT_NAMES = {
    "JPEG": "jpg",
    "MPO": "jpg",
    "PNG": "png",
    "GIF": "gif",
    "BMP": "bmp",
    "WEBP": "webp",
    "TIFF": "tiff",
    "HEIF": "heic",
    "AVIF": "avif",
}


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    format: str  # lowercase OSS name, e.g. "jpg"


def image_info(prefix: bytes) -> ImageInfo | None:
    """The image's size and format from the first bytes of an object, or None.

    Args:
        prefix: up to ``PREFIX_BYTES`` from the start of the object.

    Returns:
        ``ImageInfo`` for a recognised format (C23), None for anything else.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. DecompressionBombWarning: we never decode
            with Image.open(io.BytesIO(prefix)) as image:
                name = FORMAT_NAMES.get(image.format or "")
                if name is None:
                    return None
                width, height = image.size
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        Image.DecompressionBombError,
    ):
        return None
    return ImageInfo(width=width, height=height, format=name)
