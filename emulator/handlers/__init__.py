"""Request handlers: one ``async def handler(ctx) -> Response`` per OSS operation.

``HANDLERS`` maps every ``routing.Operation`` to its handler; a test checks none is missing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.responses import Response

from emulator.handlers import bucket, multipart, object, post_object, service
from emulator.handlers.context import Context
from emulator.routing import Operation

Handler = Callable[[Context], Awaitable[Response]]


HANDLERS: dict[Operation, Handler] = {
    Operation.LIST_BUCKETS: service.list_buckets,
    Operation.PUT_BUCKET: bucket.put_bucket,
    Operation.DELETE_BUCKET: bucket.delete_bucket,
    Operation.GET_BUCKET_INFO: bucket.get_bucket_info,
    Operation.GET_BUCKET_LOCATION: bucket.get_bucket_location,
    Operation.GET_BUCKET_ACL: bucket.get_bucket_acl,
    Operation.LIST_OBJECTS: bucket.list_objects,
    Operation.LIST_OBJECTS_V2: bucket.list_objects_v2,
    Operation.PUT_BUCKET_CORS: bucket.put_bucket_cors,
    Operation.GET_BUCKET_CORS: bucket.get_bucket_cors,
    Operation.DELETE_BUCKET_CORS: bucket.delete_bucket_cors,
    Operation.DELETE_MULTIPLE_OBJECTS: bucket.delete_multiple_objects,
    Operation.LIST_MULTIPART_UPLOADS: bucket.list_multipart_uploads,
    Operation.POST_OBJECT: post_object.post_object,
    Operation.PUT_OBJECT: object.put_object,
    Operation.COPY_OBJECT: object.copy_object,
    Operation.GET_OBJECT: object.get_object,
    Operation.HEAD_OBJECT: object.head_object,
    Operation.GET_OBJECT_META: object.get_object_meta,
    Operation.DELETE_OBJECT: object.delete_object,
    Operation.APPEND_OBJECT: object.append_object,
    Operation.INITIATE_MULTIPART_UPLOAD: multipart.initiate,
    Operation.UPLOAD_PART: multipart.upload_part,
    Operation.COMPLETE_MULTIPART_UPLOAD: multipart.complete,
    Operation.ABORT_MULTIPART_UPLOAD: multipart.abort,
    Operation.LIST_PARTS: multipart.list_parts,
}
