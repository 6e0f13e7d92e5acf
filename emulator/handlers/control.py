"""Control endpoints under ``/_emulator/`` and the callback public key, answered only on
requests that name no bucket (S2, C17).

Bucket names cannot start with ``_``, so these paths never shadow a path-style bucket; on
a bucket's virtual host the same paths are ordinary object keys.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from emulator.config import Settings
from emulator.handlers import admin
from emulator.storage.base import Storage

CONTROL_PREFIX = "/_emulator/"


async def health(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    storage: Storage = request.app.state.storage
    return JSONResponse(
        {
            "status": "ok",
            "buckets": [bucket.name for bucket in storage.list_buckets()],
            "region": settings.region,
        }
    )


async def reset(request: Request) -> Response:
    """Drop every object, upload and bucket, recreate the configured buckets; clear the
    journal and the faults."""
    if request.method != "POST":
        return JSONResponse({"error": "use POST"}, status_code=405)
    settings: Settings = request.app.state.settings
    request.app.state.storage.reset(settings.buckets, request.app.state.clock())
    request.app.state.journal.clear()
    request.app.state.faults.clear()
    return JSONResponse({"status": "reset", "buckets": list(settings.buckets)})


async def callbacks(request: Request) -> Response:
    """GET: every recorded callback attempt, oldest first; DELETE: forget them."""
    journal = request.app.state.journal
    if request.method == "DELETE":
        journal.clear()
        return Response(b"", status_code=204)
    if request.method != "GET":
        return JSONResponse({"error": "use GET or DELETE"}, status_code=405)
    return JSONResponse(journal.entries())


async def public_key(request: Request) -> Response:
    """The PEM public key that verifies the emulator's callbacks (C17)."""
    return Response(request.app.state.signing_key.public_pem, media_type="application/x-pem-file")


ControlHandler = Callable[[Request], Awaitable[Response]]

CONTROL_ROUTES: dict[str, ControlHandler] = {
    "/_emulator/health": health,
    "/_emulator/reset": reset,
    "/_emulator/callbacks": callbacks,
    "/_emulator/callbacks/trigger": admin.trigger,
    "/_emulator/faults": admin.faults,
    "/callback_pub_key_v1.pem": public_key,
}


def control_handler(path: str) -> ControlHandler | None:
    """The control endpoint for a decoded path; ``/_emulator/...`` unknown paths get 404."""
    if path in CONTROL_ROUTES:
        return CONTROL_ROUTES[path]
    if (dynamic := admin.dynamic_handler(path)) is not None:  # /callbacks/{id}/replay ...
        return dynamic
    if path.startswith(CONTROL_PREFIX) or path == CONTROL_PREFIX.rstrip("/"):
        return _not_found
    return None


async def _not_found(request: Request) -> Response:
    return JSONResponse(
        {"error": f"no control endpoint {request.url.path}", "endpoints": sorted(CONTROL_ROUTES)},
        status_code=404,
    )
