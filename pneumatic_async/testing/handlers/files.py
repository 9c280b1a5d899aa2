"""Fake file service and attachment routes.

**File service** (the separate FastAPI app; served on the fake's own app at the path of
``fake.file_service_url``, e.g. ``http://pneumatic.test/files``):

* ``POST <file_service_url>/upload`` — multipart field ``file``, ``Authorization: Bearer <key>`` (or
  the ``file_service_auth`` cookie) → ``{"public_url": "<file_service_url>/<file_id>", "file_id"}``.
  More than ``max_file_size`` bytes (100 MiB) → 413 ``{"code": "FILE_003", "message": ...}``; no
  ``file`` part → 422 ``{"code": "VAL_002", ...}``; bad key → 401 ``{"code": "AUTH_001", ...}``.
  The body is parsed as it streams and stored once.
* ``GET <file_service_url>/<file_id>`` — download (``Range: bytes=a-b`` → 206).
* Rate limit (off by default so bulk tests aren't throttled): ``fake.files.enable_rate_limit()``
  gives the real 10 uploads / 100 downloads per 60 s per client IP (``X-Real-IP``), answering 429
  ``{"detail": "Rate limit exceeded", "retry_after": 60}`` with ``Retry-After: 60``.

**Core API**: ``GET /attachments`` (envelope, limit 15, max 1000) lists the rows registered with
:meth:`FakeFileService.register_attachment` (the engine's job when a file value links a file).

**Legacy signed-URL chain** (docs 000/001), only while ``fake.files.signed_url_uploads`` is true
(initialised from ``FakePneumatic(signed_url_uploads=...)``):

1. ``POST /workflows/attachments`` ``{filename, content_type, size, thumbnail?}`` →
   ``{"id", "file_upload_url", "thumbnail_upload_url"}``; the URLs are signed URLs on the storage
   host (``storage_url``, default ``http://storage.pneumatic.test/pneumatic-files``).
2. ``PUT <signed url>`` with the bytes, ``Content-Type`` equal to the declared one and **no**
   ``Authorization`` header (400 if present; 403 for a bad signature or content type).
3. ``POST /workflows/attachments/<id>/publish`` → ``{"url", "thumbnail_url"}``, or the 001 variant
   ``POST /workflows/attachments/<id>/links`` → ``{"id", "name", "url", "thumbnail_url", "size"}``.

With the switch off these routes match nothing, so requests get what the real server answers
today: the workflow detail route's 403 ``{"detail": "You do not have permission to perform this
action."}`` for the create, the HTML 404 page for publish/links.
"""

from __future__ import annotations

from contextlib import aclosing
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from pneumatic_async.testing._multipart import (
    MultipartError,
    boundary_from_content_type,
    iter_parts,
)
from pneumatic_async.testing.errors import field_error, not_found, service_error
from pneumatic_async.testing.file_service import (
    MAX_FILE_SIZE,
    FakeFileService,
    SignedAttachment,
    StoredFile,
)
from pneumatic_async.testing.handlers._helpers import (
    ApiRoute,
    ServedFake,
    SwitchedRoute,
    body_of,
    caller,
    fake_of,
    json_response,
    ok,
)
from pneumatic_async.testing.pagination import default_limit, envelope, offset_of

__all__ = ["routes"]


# -- responses ---------------------------------------------------------------------------------


def _service_error(status: int, code: str, message: str, details: Any = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return json_response(body, status)


def _rate_limited() -> Response:
    return json_response(
        {"detail": "Rate limit exceeded", "retry_after": 60}, 429, {"Retry-After": "60"}
    )


def _storage_error(status: int, code: str, message: str) -> Response:
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>"
        f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    )
    return Response(body, status_code=status, media_type="application/xml")


def _client_key(request: Request) -> str:
    real_ip = request.headers.get("x-real-ip")
    if real_ip:
        return real_ip
    return request.client.host if request.client else "unknown"


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        return token.strip()
    return request.cookies.get("file_service_auth")


def authenticated(request: Request) -> bool:
    """Whether the request carries a valid key (header or ``file_service_auth`` cookie)."""
    fake = fake_of(request)
    # The app records the caller on these exempt paths when the key is valid.
    if caller(request) is not None:
        return True
    token = _bearer(request)  # the app only looks at the header; the cookie is ours
    if token is None:
        return False
    key = fake.state.api_keys_by_token.get(token)
    return (key is not None and key.is_active) or token in fake.state.sessions


def unauthorized() -> Response:
    """The file service's 401 answer."""
    return _service_error(401, "AUTH_001", "Authentication failed")


async def upload(request: Request) -> Response:
    """``POST {service}/upload``."""
    files = fake_of(request).files

    if files.upload_limit is not None and not files.upload_limit.check(_client_key(request)):
        return _rate_limited()
    if not authenticated(request):
        return unauthorized()
    received = await _receive_file(request, files.max_file_size)
    if isinstance(received, int):
        message = f"File size {received} bytes exceeds limit {files.max_file_size} bytes"
        return _service_error(413, "FILE_003", message)
    if received is None:
        details = "[{'type': 'missing', 'loc': ('body', 'file'), 'msg': 'Field required'}]"
        return _service_error(422, "VAL_002", "Missing required field", details)
    filename, content_type, data = received
    user = caller(request)
    stored = StoredFile(
        files.new_file_id(), filename, content_type, data, user.id if user else None
    )
    files.files[stored.file_id] = stored
    return json_response(
        {"public_url": files.public_url(stored.file_id), "file_id": stored.file_id}
    )


async def download(request: Request) -> Response:
    """``GET {service}/{file_id}``."""
    files = fake_of(request).files

    limit = files.download_limit
    if limit is not None and not limit.check(_client_key(request)):
        return _rate_limited()
    if not authenticated(request):
        return unauthorized()
    file_id = request.path_params["file_id"]
    stored = files.files.get(file_id)
    if stored is None:
        return _service_error(404, "FILE_001", f"File with ID '{file_id}' not found")
    return _file_response(stored, request.headers.get("range"))


async def list_attachments(request: Request) -> Response:
    """``GET /attachments``."""
    files = fake_of(request).files

    limit = default_limit(request)
    offset = offset_of(request)
    rows = files.attachment_rows
    page = [dict(row) for row in rows[offset : offset + limit]]
    return ok(envelope(request, len(rows), limit, offset, page))


async def create_attachment(request: Request) -> Response:
    """``POST /workflows/attachments`` (legacy signed-URL chain)."""
    files = fake_of(request).files

    data = await body_of(request)
    filename, content_type, size, thumbnail = _attachment_fields(
        data if isinstance(data, dict) else {}
    )
    attachment = files.create_signed(filename, content_type, size, thumbnail)
    thumb_key = attachment.thumbnail_key
    return ok(
        {
            "id": attachment.id,
            "file_upload_url": files.sign(attachment.key, content_type),
            "thumbnail_upload_url": files.sign(thumb_key, content_type) if thumb_key else None,
        }
    )


def publish_signed(request: Request) -> SignedAttachment:
    """Publish the uploaded attachment of the URL (404 unknown, 400 not uploaded yet)."""
    files = fake_of(request).files

    raw_id = request.path_params["attachment_id"]
    attachment = files.signed.get(int(raw_id)) if raw_id.isdigit() else None
    if attachment is None:
        raise not_found()
    if attachment.data is None:
        raise service_error("The file has not been uploaded yet.")
    attachment.published = True
    return attachment


def thumbnail_url(files: FakeFileService, attachment: SignedAttachment) -> str | None:
    """The attachment's public thumbnail URL, once a thumbnail was uploaded."""
    if attachment.thumbnail_key is None or attachment.thumbnail_data is None:
        return None
    return files.object_url(attachment.thumbnail_key)


async def publish(request: Request) -> Response:
    """``POST /workflows/attachments/{attachment_id}/publish``."""
    files = fake_of(request).files

    attachment = publish_signed(request)
    return ok(
        {"url": files.object_url(attachment.key), "thumbnail_url": thumbnail_url(files, attachment)}
    )


async def links(request: Request) -> Response:
    """``POST /workflows/attachments/{attachment_id}/links`` (doc 001 variant of publish)."""
    files = fake_of(request).files

    attachment = publish_signed(request)
    return ok(
        {
            "id": attachment.id,
            "name": attachment.filename,
            "url": files.object_url(attachment.key),
            "thumbnail_url": thumbnail_url(files, attachment),
            "size": attachment.size,
        }
    )


def object_for(files: FakeFileService, key: str) -> tuple[SignedAttachment, bool] | None:
    """The signed attachment stored under ``key`` (and whether ``key`` is its thumbnail)."""
    for attachment in files.signed.values():
        if attachment.key == key:
            return attachment, False
        if attachment.thumbnail_key == key:
            return attachment, True
    return None


async def storage_put(request: Request) -> Response:
    """``PUT {bucket}/{key:path}``."""
    files = fake_of(request).files

    if "authorization" in request.headers:
        return _storage_error(
            400,
            "InvalidArgument",
            "A signed URL request must not carry an Authorization header.",
        )
    found = object_for(files, request.path_params["key"])
    if found is None:
        return _storage_error(404, "NoSuchKey", "The specified key does not exist.")
    attachment, is_thumbnail = found
    key = attachment.thumbnail_key if is_thumbnail else attachment.key
    content_type = request.headers.get("content-type", "")
    signature = request.query_params.get("signature", "")
    if key is None or not files.check_signature(key, content_type, signature):
        return _storage_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    data = bytearray()
    async with aclosing(request.stream()) as stream:
        async for chunk in stream:
            data += chunk
    if is_thumbnail:
        attachment.thumbnail_data = bytes(data)
    else:
        attachment.data = bytes(data)
    return Response(status_code=200)


async def storage_get(request: Request) -> Response:
    """``GET {bucket}/{key:path}``."""
    files = fake_of(request).files
    found = object_for(files, request.path_params["key"])
    data = None
    if found is not None:
        attachment, is_thumbnail = found
        data = attachment.thumbnail_data if is_thumbnail else attachment.data
    if found is None or data is None:
        return _storage_error(404, "NoSuchKey", "The specified key does not exist.")
    if not attachment.published:
        return _storage_error(403, "AccessDenied", "Access denied.")
    return Response(data, media_type=attachment.content_type)


def switched(files: FakeFileService, path: str, endpoint: Any) -> SwitchedRoute:
    # Gone from the real server: with the switch off, the request falls through to what it
    # answers today (the workflow detail route's 403, or the HTML 404).
    """A route of the legacy signed-URL chain, live only while ``files.signed_url_uploads``."""
    return SwitchedRoute(path, endpoint, methods=["POST"], enabled=lambda: files.signed_url_uploads)


def routes(fake: ServedFake) -> list[BaseRoute]:
    """File service, ``/attachments`` and (switchable) signed-URL routes (their paths come from
    the fake's file service and storage URLs)."""
    files = fake.files
    service = files.path
    bucket = urlsplit(files.storage_url).path.rstrip("/")
    return [
        Route(f"{service}/upload", upload, methods=["POST"]),
        Route(f"{service}/{{file_id}}", download, methods=["GET"]),
        ApiRoute("/attachments", list_attachments, methods=["GET"]),
        switched(files, "/workflows/attachments", create_attachment),
        switched(files, "/workflows/attachments/{attachment_id}/publish", publish),
        switched(files, "/workflows/attachments/{attachment_id}/links", links),
        Route(f"{bucket}/{{key:path}}", storage_put, methods=["PUT"]),
        Route(f"{bucket}/{{key:path}}", storage_get, methods=["GET"]),
    ]


async def _receive_file(request: Request, max_size: int) -> tuple[str, str, bytes] | int | None:
    """Stream the multipart body once: the ``file`` part, its size if over ``max_size``, or None.

    The rest of the body is still read (and dropped) after an oversized file, so the client gets
    the 413 answer instead of a broken pipe.
    """
    boundary = boundary_from_content_type(request.headers.get("content-type"))
    if boundary is None:
        return None
    result: tuple[str, str, bytes] | int | None = None
    try:
        async with (
            aclosing(request.stream()) as stream,
            aclosing(iter_parts(stream, boundary)) as parts,
        ):
            async for part in parts:
                if part.name != "file" or part.filename is None or result is not None:
                    continue  # the part is skipped unread
                buffer, size = bytearray(), 0
                async for chunk in part.chunks():
                    size += len(chunk)
                    if size <= max_size:
                        buffer += chunk
                    else:
                        buffer.clear()
                if size > max_size:
                    result = size
                else:
                    content_type = part.content_type or "application/octet-stream"
                    result = (part.filename, content_type, bytes(buffer))
    except MultipartError:
        return None
    return result


def _file_response(stored: StoredFile, range_header: str | None) -> Response:
    headers = {
        "Content-Disposition": f"attachment; filename*=utf-8''{quote(stored.filename)}",
        "Accept-Ranges": "bytes",
        "X-Content-Type-Options": "nosniff",
    }
    data = stored.data
    if range_header and range_header.startswith("bytes="):
        start_text, _, end_text = range_header[6:].partition("-")
        if start_text.isdigit() and (not end_text or end_text.isdigit()):
            start = int(start_text)
            end = min(int(end_text) if end_text else len(data) - 1, len(data) - 1)
            if start > end:
                return Response(
                    b"", status_code=416, headers={"Content-Range": f"bytes */{len(data)}"}
                )
            headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
            return Response(
                data[start : end + 1], 206, headers=headers, media_type=stored.content_type
            )
    return Response(data, headers=headers, media_type=stored.content_type)


def _attachment_fields(data: dict[str, Any]) -> tuple[str, str, int, bool]:
    """Validate the legacy create body (first error only, like the server's serializers)."""
    for name in ("filename", "content_type", "size"):
        if data.get(name) in (None, ""):
            raise field_error(name, "This field is required.")
    try:
        size = int(data["size"])
    except (TypeError, ValueError):
        raise field_error("size", "A valid integer is required.") from None
    if not 0 <= size < MAX_FILE_SIZE:
        raise field_error("size", f"Ensure this value is less than {MAX_FILE_SIZE}.")
    thumbnail = data.get("thumbnail", False)
    if isinstance(thumbnail, str):
        thumbnail = thumbnail.lower() in ("true", "1")
    return str(data["filename"]), str(data["content_type"]), size, bool(thumbnail)
