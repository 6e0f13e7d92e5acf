"""ListBuckets (rest-api.md §13.4)."""

from __future__ import annotations

from starlette.responses import Response

from emulator.handlers.context import Context, xml_response
from emulator.protocol import xml


async def list_buckets(ctx: Context) -> Response:
    buckets = ctx.storage.list_buckets()
    prefix = ctx.query("prefix") or ""
    chosen = [b for b in buckets if b.name.startswith(prefix)]
    return xml_response(
        xml.render_list_buckets(chosen, owner_id=ctx.settings.owner_id, region=ctx.settings.region)
    )
