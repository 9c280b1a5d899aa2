"""File uploads: ``client.files``.

Two ways to upload, chosen by the client's ``upload_strategy``:

* ``"file_service"`` (the default; what the real server does, contract §8): one multipart
  ``POST <file_service_url>/upload`` with the form field ``file`` and the API key, answering
  ``{"file_id", "public_url"}``. The file service limits uploads to 10 per 60 s per IP and answers
  429 with ``Retry-After: 60``; the client waits and sends the upload again.
* ``"signed_url"`` (the documented chain of docs 000/001): ``POST /workflows/attachments``
  ``{filename, content_type, size, thumbnail}`` → ``{id, file_upload_url, thumbnail_upload_url}``;
  ``PUT`` the bytes to the signed URL (with only ``Content-Type`` and ``Content-Length``: no API
  key, no SDK headers); ``POST /workflows/attachments/<id>/publish`` (or ``/links``, docs 001) →
  ``{url, thumbnail_url}``. The real server removed this chain: the create answers 403.

A file reaches a workflow as a Markdown link in a ``file`` field's value: :func:`files_value`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import attrs

from pneumatic_async import _uploads
from pneumatic_async._protocol.responses import structure
from pneumatic_async._types import NOT_GIVEN, NotGiven
from pneumatic_async._uploads import MultipartFile, RequestBody, Source, UploadSource
from pneumatic_async.errors import (
    NotFoundError,
    PermissionDeniedError,
    PneumaticError,
    UploadError,
)
from pneumatic_async.models.files import (
    Attachment,
    AttachmentUpload,
    PublishedAttachment,
    UploadedFile,
)
from pneumatic_async.pagination import DEFAULT_PAGE_SIZE, Paginator
from pneumatic_async.resources._base import Resource

if TYPE_CHECKING:
    from pneumatic_async._base_client import BaseClient

__all__ = ["Files", "files_value"]

_CREATE_PATH = "/workflows/attachments"
_NO_ATTACHMENT_ENDPOINTS = (
    "this server has no attachment endpoints: POST /workflows/attachments answered {status} "
    "(the signed-URL chain of the old docs was removed from Pneumatic; files now go to the file "
    "service). Use Pneumatic(upload_strategy='file_service'), the default"
)


def files_value(*files: UploadedFile) -> list[str]:
    """The value a ``file`` field takes on the real server: a list of ``[name](public_url)`` links.

    Each link's text is the file's ``filename`` (as uploaded), else its ``file_id``. Pass the
    result as the field's kickoff or task output value::

        report = await client.files.upload("report.pdf")
        await client.templates.run(42, kickoff={"attachments": files_value(report)})
    """
    return [uploaded.markdown_link() for uploaded in files]


class Files(Resource):
    """File uploads (the file service, or the documented signed-URL chain)."""

    __slots__ = ("_file_service_url", "_strategy")

    def __init__(
        self,
        client: BaseClient,
        *,
        file_service_url: str,
        strategy: str = "file_service",
    ) -> None:
        super().__init__(client)
        self._file_service_url = file_service_url
        self._strategy = strategy

    async def upload(
        self,
        source: UploadSource,
        *,
        filename: str | NotGiven = NOT_GIVEN,
        content_type: str | NotGiven = NOT_GIVEN,
        size: int | NotGiven | None = NOT_GIVEN,
        thumbnail: UploadSource | NotGiven = NOT_GIVEN,
        publish_via: Literal["publish", "links"] = "publish",
    ) -> UploadedFile:
        """Upload a file and return its id and URL, streaming it (never read whole into memory).

        ``source`` is a path (``str`` / ``os.PathLike``), the bytes themselves, or an async
        iterable of byte chunks. ``filename`` defaults to the path's last component and is
        required for bytes and streams; ``content_type`` is guessed from the file name
        (``application/octet-stream`` when unknown); ``size`` is only for streams (optional,
        ``None`` for unknown: when given the stream must have exactly that many bytes).

        The file service refuses files over 100 MiB (104,857,600 bytes): a path or bytes over it
        are refused before any request, a stream of unknown size is stopped once it passes it.
        With the default ``upload_strategy="file_service"`` the upload is one multipart
        ``POST <file_service_url>/upload``; a 429 (10 uploads per 60 s per IP) is waited out and
        the upload sent again, but a 5xx or lost connection is not retried (it may have been
        stored): that raises with an ``AmbiguousOutcomeError`` cause. A stream can only be sent
        again if nothing of it was sent yet; pass a path or bytes to make retries possible.
        The server answers once it has stored the file, which for a big file can take longer than
        the default 30 s read timeout: ``client.with_options(timeout=300).files.upload(...)``.

        With ``upload_strategy="signed_url"`` the documented chain runs: create, ``PUT`` to the
        signed URL (no API key is sent there), then publish (``publish_via="links"`` uses docs
        001's ``/links`` route). ``thumbnail`` (a path, bytes or stream) is ``PUT`` to the
        thumbnail URL with the file's content type (the URL is signed for it); the file service
        has no thumbnails. On the real server the chain is gone: the create answers 403.

        Returns an :class:`~pneumatic_async.models.files.UploadedFile` with the ``filename``
        sent (for :func:`files_value`); for the signed-URL chain ``file_id`` is the attachment
        id and ``public_url`` the published URL. Every failure is an
        :class:`~pneumatic_async.errors.UploadError` whose ``stage`` is ``"read"`` (the source),
        ``"upload"`` (the file service), ``"create"``, ``"put"`` or ``"publish"``, with the API
        error as ``cause``. Wrong arguments raise ``ValueError``/``TypeError``.
        """
        signed = self._strategy == "signed_url"
        if publish_via not in ("publish", "links"):
            raise ValueError(f"publish_via must be 'publish' or 'links', got {publish_via!r}")
        if not signed and not isinstance(thumbnail, NotGiven):
            raise ValueError(
                "thumbnail= needs upload_strategy='signed_url'; the file service has no thumbnails"
            )
        # The documented chain takes sizes "less than 104857600 bytes"; the file service allows
        # exactly that much.
        limit = _uploads.MAX_UPLOAD_SIZE - 1 if signed else _uploads.MAX_UPLOAD_SIZE
        opened = await _uploads.open_source(
            source,
            filename=None if isinstance(filename, NotGiven) else filename,
            size=None if isinstance(size, NotGiven) else size,
            limit=limit,
        )
        if isinstance(content_type, NotGiven):
            content_type = _uploads.guess_content_type(opened.filename)
        else:
            _uploads.check_content_type(content_type)
        if not signed:
            return await self._upload_to_file_service(opened, content_type)
        if opened.size is None:
            raise ValueError(
                "the signed-URL chain declares the size first: pass size= with a stream"
            )
        thumb = None
        if not isinstance(thumbnail, NotGiven):
            thumb = await _uploads.open_source(
                thumbnail,
                filename=opened.filename,
                size=None,
                limit=limit,
                role="thumbnail",
            )
            if thumb.size is None:
                raise ValueError(
                    "the signed-URL chain needs the thumbnail's size: pass a path or bytes"
                )
        return await self._upload_signed(opened, content_type, thumb, publish_via)

    def list_attachments(
        self,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_items: int | None = None,
        offset: int = 0,
    ) -> Paginator[Attachment]:
        """``GET /attachments``: files linked from workflows/templates the caller can see.

        Not in the public docs (contract §8). The server always paginates it (15 per page by
        default, at most 1000); attachments are created by the server when a ``file`` field value
        links an uploaded file, never by this call.
        """
        return self._paginate(
            "/attachments", Attachment, page_size=page_size, max_items=max_items, offset=offset
        )

    # -- file service ----------------------------------------------------------------------------

    async def _upload_to_file_service(self, source: Source, content_type: str) -> UploadedFile:
        client = self._client
        url = self._file_service_url + "/upload"
        path = urlsplit(url).path
        multipart = MultipartFile(filename=source.filename, content_type=content_type)

        def make() -> AsyncGenerator[bytes, None]:
            return multipart.encode(source.chunks())

        body = RequestBody(make)
        with _stage("upload", f"POST {path}", source):
            try:
                raw = await client.send(
                    "POST", url, content=body, headers=multipart.headers(source.size)
                )
            finally:
                await body.aclose()
            uploaded = structure(raw.json(), UploadedFile, method="POST", path=path)
        return attrs.evolve(uploaded, filename=source.filename)

    # -- signed-URL chain ------------------------------------------------------------------------

    async def _upload_signed(
        self,
        source: Source,
        content_type: str,
        thumbnail: Source | None,
        publish_via: str,
    ) -> UploadedFile:
        client = self._client
        request: dict[str, Any] = {
            "filename": source.filename,
            "content_type": content_type,
            "size": source.size,
        }
        if thumbnail is not None:
            request["thumbnail"] = True
        with _stage("create", f"POST {_CREATE_PATH}", None):
            try:
                data = await client.request("POST", _CREATE_PATH, json=request)
            except (PermissionDeniedError, NotFoundError) as exc:
                message = _NO_ATTACHMENT_ENDPOINTS.format(status=exc.status_code)
                raise UploadError(message, stage="create", cause=exc) from exc
            created = structure(data, AttachmentUpload, method="POST", path=_CREATE_PATH)
        await self._put(created.file_upload_url, source, content_type, "the file")
        if thumbnail is not None:
            if not created.thumbnail_upload_url:
                raise UploadError(
                    "a thumbnail was asked for but the server gave no thumbnail_upload_url",
                    stage="create",
                )
            await self._put(created.thumbnail_upload_url, thumbnail, content_type, "the thumbnail")
        path = f"{_CREATE_PATH}/{created.id}/{publish_via}"
        with _stage("publish", f"POST {path}", None):
            # Publishing twice changes nothing, so a lost answer may be retried.
            data = await client.request("POST", path, idempotent=True)
            published = structure(data, PublishedAttachment, method="POST", path=path)
        return UploadedFile(
            file_id=str(created.id),
            public_url=published.url,
            filename=source.filename,
            thumbnail_url=published.thumbnail_url,
        )

    async def _put(self, url: str, source: Source, content_type: str, what: str) -> None:
        """``PUT`` the bytes to a signed URL with only ``Content-Type`` and ``Content-Length``."""
        headers = {"Content-Type": content_type}
        if source.size is not None:
            headers["Content-Length"] = str(source.size)
        body = RequestBody(source.chunks)
        with _stage("put", f"PUT of {what} to its signed URL", source):
            try:
                await self._client.send("PUT", url, content=body, headers=headers)
            finally:
                await body.aclose()


@contextmanager
def _stage(stage: str, action: str, source: Source | None) -> Iterator[None]:
    """Turn an API error inside the block into ``UploadError(stage=...)`` with it as the cause.

    A read failure of ``source`` wins over whatever a transport made of it.
    """
    try:
        yield
    except UploadError:
        raise
    except Exception as exc:
        failure = source.failure if source is not None else None
        if failure is not None:  # the transport wrapped our read error: raise the original
            raise failure from failure.cause
        if isinstance(exc, PneumaticError):
            raise UploadError(f"{action} failed: {exc}", stage=stage, cause=exc) from exc
        raise
