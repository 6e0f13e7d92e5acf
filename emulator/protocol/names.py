"""Validation of bucket names and object keys.

Bucket names: rest-api.md §1.3 (``[a-z0-9-]``, 3-63 characters, first and last
alphanumeric; oss2 ``utils.is_valid_bucket_name``, ali-oss ``checkBucketName``);
otherwise 400 ``InvalidBucketName`` with a ``BucketName`` element (§10.2).

Object keys follow OSS's naming conventions
(https://www.alibabacloud.com/help/en/oss/user-guide/object-naming-conventions): UTF-8,
1 to 1023 bytes, not starting with ``/`` or ``\\``, case-sensitive. Everything else is
accepted: ``..``, ``//`` inside, spaces, ``+``, unicode, a trailing ``/``. The error is
``InvalidObjectName`` with the EC of the matching OSS error page:

- ``0016-00000001``: the name is empty;
- ``0016-00000002``: too long, or not encodable as UTF-8;
- ``0016-00000005``: starts with ``/`` or ``\\``.

Known difference from real OSS: the emulator also refuses characters that XML 1.0
cannot carry (NUL and the other C0 controls except TAB, LF and CR; U+FFFE, U+FFFF; lone
surrogates), under EC ``0016-00000002``. OSS seems to store them (v2 escapes them as
``&#NN;`` in DeleteMultipleObjects bodies), but such a key could not appear in a listing
without ``encoding-type=url``, which ali-oss never requests (§13.1).
"""

from __future__ import annotations

import re

from emulator.errors import InvalidBucketName, InvalidObjectName

BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", re.ASCII)

MAX_KEY_BYTES = 1023

#: A character XML 1.0 cannot carry (outside its ``Char`` production).
NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def validate_bucket_name(name: str) -> None:
    """Check a bucket name against rest-api.md §1.3.

    Args:
        name: the bucket name as decoded from the request.

    Raises:
        InvalidBucketName: with ``BucketName`` set to the name.
    """
    if BUCKET_NAME.fullmatch(name) is None:
        raise InvalidBucketName(BucketName=name)


def validate_object_key(key: str) -> None:
    """Check an object key against OSS's naming conventions (see the module docstring).

    Args:
        key: the decoded key.

    Raises:
        InvalidObjectName: with EC 0016-00000001 (empty), 0016-00000002 (too long, not
            UTF-8 or not representable in XML) or 0016-00000005 (leading ``/`` or ``\\``).
    """
    if not key:
        raise InvalidObjectName(ec="0016-00000001")
    if key[0] in "/\\":
        raise InvalidObjectName(ec="0016-00000005")
    if NOT_XML_CHAR.search(key) is not None:
        raise InvalidObjectName(ec="0016-00000002")
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise InvalidObjectName(ec="0016-00000002")
