"""Control endpoints under ``/_emulator/``, answered only on requests that name no bucket (S2).

Bucket names cannot start with ``_``, so these paths never shadow a path-style bucket; on
a bucket's virtual host the same paths are ordinary object keys.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emulator.config import Settings
from emulator.storage.base import Storage

CONTROL_PREFIX = "/_emulator/"


async def health(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    storage: Storage = request.app.state.storage
    return JSONResponse({
        "status": "ok",
        "buckets": [bucket.name for bucket in storage.list_buckets()],
        "region": settings.region,
    })


async def reset(request: Request) -> Response:
    """Drop every object, upload and bucket, and recreate the configured buckets."""
    if request.method != "POST":
        return JSONResponse({"error": "use POST"}, status_code=405)
    settings: Settings = request.app.state.settings
    request.app.state.storage.reset(settings.buckets, request.app.state.clock())
    return JSONResponse({"status": "reset", "buckets": list(settings.buckets)})


ControlHandler = Callable[[Request], Awaitable[Response]]

CONTROL_ROUTES: dict[str, ControlHandler] = {
    "/_emulator/health": health,
    "/_emulator/reset": reset,
}


def control_handler(path: str) -> ControlHandler | None:
    """The control endpoint for a decoded path; ``/_emulator/...`` unknown paths get 404."""
    if path in CONTROL_ROUTES:
        return CONTROL_ROUTES[path]
    if path.startswith(CONTROL_PREFIX) or path == CONTROL_PREFIX.rstrip("/"):
        return _not_found
    return None


async def _not_found(request: Request) -> Response:
    return JSONResponse({"error": f"no control endpoint {request.url.path}",
                         "endpoints": sorted(CONTROL_ROUTES)}, status_code=404)
