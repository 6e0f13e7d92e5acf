"""Calendar fields to epoch seconds: the one conversion every timestamp parser here shares.

V4 request times (``yyyymmddTHHMMSSZ``), PostObject policy expirations, V4 form dates and
STS ``Timestamp`` parameters are all matched by their own pattern, then turned into seconds
here, in UTC, with impossible dates (``20230231``) answering None rather than raising.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime


def epoch(parts: Sequence[str]) -> float | None:
    """Year, month, day, hour, minute, second (decimal strings) as epoch seconds, or None."""
    year, month, day, hour, minute, second = (int(part) for part in parts)
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()
    except (ValueError, OverflowError):
        return None
