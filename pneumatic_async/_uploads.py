"""Upload protocol helpers: opening a source, the size limit, content types, multipart encoding.

Nothing here sends a request. :func:`open_source` turns what the caller passed (a path, bytes, or
an async byte stream) into a :class:`Source` that yields the bytes chunk by chunk (files are read
with ``anyio.open_file``, never whole) and checks the size while streaming: the declared size must
be met exactly and the 100 MiB limit is never crossed. :class:`MultipartFile` wraps those chunks in
a ``multipart/form-data`` body with one file part, so its ``Content-Length`` is known up front
when the file's size is. :class:`RequestBody` is what the client's retry loop calls once per
attempt for a fresh body, and closes what the attempts opened.

Read problems are :class:`~pneumatic_async.errors.UploadError` with ``stage="read"``. A transport
may wrap an exception raised while it pulls the body (aiohttp does), so a :class:`Source` also
remembers its failure in :attr:`Source.failure` for the caller to re-raise.
"""

from __future__ import annotations

import mimetypes
import os
import secrets
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable
from contextlib import aclosing
from stat import S_ISREG
from typing import Final, TypeAlias

import anyio

from pneumatic_async.errors import UploadError

__all__ = [
    "CHUNK_SIZE",
    "DEFAULT_CONTENT_TYPE",
    "MAX_UPLOAD_SIZE",
    "MultipartFile",
    "RequestBody",
    "Source",
    "UploadSource",
    "check_content_type",
    "check_size",
    "guess_content_type",
    "open_source",
]

#: The file service's ``MAX_FILE_SIZE``: 100 MiB (contract §8). Larger files are refused.
MAX_UPLOAD_SIZE: Final = 104_857_600
#: Bytes read from a file per chunk.
CHUNK_SIZE: Final = 256 * 1024
#: The content type of files whose type can't be guessed from their name.
DEFAULT_CONTENT_TYPE: Final = "application/octet-stream"

#: What can be uploaded: a file path, the bytes themselves, or an async stream of byte chunks.
UploadSource: TypeAlias = (
    str | os.PathLike[str] | bytes | bytearray | memoryview | AsyncIterable[bytes]
)

#: Content types of the compressions ``mimetypes`` reports as an encoding (``x.tar.gz``).
_ENCODING_TYPES: Final = {
    "gzip": "application/gzip",
    "bzip2": "application/x-bzip2",
    "xz": "application/x-xz",
    "compress": "application/x-compress",
    "br": "application/x-brotli",
}


def guess_content_type(filename: str) -> str:
    """The content type for a file name (``mimetypes``), else ``application/octet-stream``.

    A compressed name such as ``logs.tar.gz`` gets the compression's type
    (``application/gzip``): those are the bytes being sent.
    """
    content_type, encoding = mimetypes.guess_type(filename, strict=False)
    if encoding is not None:
        return _ENCODING_TYPES.get(encoding, DEFAULT_CONTENT_TYPE)
    return content_type or DEFAULT_CONTENT_TYPE


def check_content_type(content_type: str) -> str:
    """Return ``content_type`` if it can go into a header unchanged; raise ``ValueError`` if not."""
    if not content_type or any(ord(c) < 32 or ord(c) == 127 for c in content_type):
        raise ValueError(f"content_type must be a non-empty header value, got {content_type!r}")
    return content_type


def check_size(size: int, *, limit: int = MAX_UPLOAD_SIZE, what: str = "the file") -> None:
    """Raise ``UploadError(stage="read")`` when ``size`` bytes is over ``limit``.

    ``limit`` itself is allowed (the file service refuses only ``size > MAX_FILE_SIZE``).
    """
    if size > limit:
        raise UploadError(
            f"{what} is {size:,} bytes, over the upload limit of {limit:,} bytes (100 MiB)",
            stage="read",
        )


class Source:
    """An upload source, opened: its name, its size (``None`` when unknown) and its bytes.

    :meth:`chunks` yields the bytes once per call; a path or bytes can be read again (so a
    request can be retried), a stream only as long as nothing was taken from it yet.
    """

    def __init__(
        self,
        *,
        filename: str,
        size: int | None,
        limit: int,
        description: str,
        replayable: bool,
    ) -> None:
        self.filename = filename
        self.size = size
        self.limit = limit
        self.description = description
        self.replayable = replayable
        #: The read error raised while streaming, if any (a transport may have wrapped it).
        self.failure: UploadError | None = None
        self._taken = False

    def chunks(self) -> AsyncGenerator[bytes, None]:
        """A fresh generator of the source's bytes, checked against the size and the limit."""
        if self._taken and not self.replayable:
            raise self._fail(
                f"{self.description} is a stream that was already (partly) sent, so it can't be "
                "sent again for a retry; pass a path or bytes to let the SDK retry uploads"
            )
        self.failure = None  # a new attempt: an earlier attempt's read error no longer applies
        return self._checked()

    # -- what subclasses provide ---------------------------------------------------------------

    def _open(self) -> AsyncIterator[bytes]:
        raise NotImplementedError

    def _owns_iterator(self) -> bool:
        """Whether the iterator from :meth:`_open` is ours to close."""
        return True

    # -- helpers -------------------------------------------------------------------------------

    def _fail(self, message: str, cause: BaseException | None = None) -> UploadError:
        error = UploadError(message, stage="read", cause=cause)
        self.failure = error
        return error

    async def _checked(self) -> AsyncGenerator[bytes, None]:
        iterator = self._open()
        total = 0
        try:
            while True:
                try:
                    self._taken = True
                    raw: object = await anext(iterator)
                except StopAsyncIteration:
                    break
                except UploadError:
                    raise
                except Exception as exc:
                    raise self._fail(
                        f"reading {self.description} failed: {type(exc).__name__}: {exc}", exc
                    ) from exc
                if isinstance(raw, bytes):
                    chunk = raw
                elif isinstance(raw, bytearray | memoryview):
                    chunk = bytes(raw)
                else:
                    raise self._fail(f"{self.description} yielded {type(raw).__name__}, not bytes")
                total += len(chunk)
                if self.size is not None and total > self.size:
                    raise self._fail(
                        f"{self.description} has more than the {self.size:,} bytes it was "
                        "declared (or found) to have; did it change while being uploaded?"
                    )
                if total > self.limit:
                    raise self._fail(
                        f"{self.description} is over the upload limit of {self.limit:,} bytes "
                        "(100 MiB); stopped after reading that much"
                    )
                if chunk:
                    yield chunk
            if self.size is not None and total != self.size:
                raise self._fail(
                    f"{self.description} ended after {total:,} bytes but was declared (or found) "
                    f"to have {self.size:,}; did it change while being uploaded?"
                )
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None and self._owns_iterator():
                with anyio.CancelScope(shield=True):
                    await close()


class _PathSource(Source):
    """A file on disk, read with ``anyio.open_file`` in :data:`CHUNK_SIZE` chunks."""

    def __init__(self, path: str, *, filename: str, size: int, limit: int, description: str):
        super().__init__(
            filename=filename, size=size, limit=limit, description=description, replayable=True
        )
        self._path = path

    async def _open(self) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self._path, "rb") as file:
            while chunk := await file.read(CHUNK_SIZE):
                yield chunk


class _BytesSource(Source):
    """Bytes in memory, handed out in :data:`CHUNK_SIZE` slices."""

    def __init__(
        self,
        data: bytes | bytearray | memoryview,
        *,
        filename: str,
        limit: int,
        description: str,
    ) -> None:
        view = memoryview(data).cast("B")
        super().__init__(
            filename=filename, size=len(view), limit=limit, description=description, replayable=True
        )
        self._data = view

    async def _open(self) -> AsyncIterator[bytes]:
        data = self._data
        for start in range(0, len(data), CHUNK_SIZE):
            yield bytes(data[start : start + CHUNK_SIZE])


class _StreamSource(Source):
    """The caller's async byte stream: one pass only, never closed by the SDK."""

    def __init__(
        self,
        stream: AsyncIterable[bytes],
        *,
        filename: str,
        size: int | None,
        limit: int,
        description: str,
    ) -> None:
        super().__init__(
            filename=filename, size=size, limit=limit, description=description, replayable=False
        )
        self._stream = stream
        self._iterator: AsyncIterator[bytes] | None = None

    def _open(self) -> AsyncIterator[bytes]:
        if self._iterator is None:
            self._iterator = aiter(self._stream)
        return self._iterator

    def _owns_iterator(self) -> bool:
        return False  # the caller's stream: a retry may still need it, and it is theirs to close


async def open_source(
    source: UploadSource,
    *,
    filename: str | None,
    size: int | None,
    limit: int = MAX_UPLOAD_SIZE,
    role: str = "file",
) -> Source:
    """Open ``source`` for uploading, checking its size against ``limit`` before any request.

    * a path (``str`` or ``os.PathLike``): the size comes from ``stat``; the name defaults to the
      path's last component;
    * bytes (``bytes``, ``bytearray``, ``memoryview``): the size is their length; ``filename`` is
      required;
    * an async iterable of byte chunks: ``filename`` is required; ``size`` is optional (when it
      is given the stream must have exactly that many bytes; when not, the bytes are counted while
      streaming and the upload stops past the limit).

    ``size`` may not be given for a path or bytes (their size is known). A missing or unreadable
    path raises ``UploadError(stage="read")``; wrong arguments raise ``ValueError``/``TypeError``.
    """
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise ValueError(f"size must be a non-negative int, got {size!r}")
    if isinstance(source, str | os.PathLike):
        if size is not None:
            raise ValueError("size= is only for streams; a file's size is read from the disk")
        path = os.fspath(source)
        if not isinstance(path, str):
            raise TypeError("a path must be str or os.PathLike[str], not bytes")
        name = filename or os.path.basename(path)
        description = f"{role} {path!r}"
        try:
            stat = await anyio.Path(path).stat()
        except OSError as exc:
            raise UploadError(
                f"cannot read {description}: {type(exc).__name__}: {exc}", stage="read", cause=exc
            ) from exc
        if not S_ISREG(stat.st_mode):
            raise UploadError(f"{description} is not a regular file", stage="read")
        check_size(stat.st_size, limit=limit, what=description)
        return _PathSource(
            path, filename=name, size=stat.st_size, limit=limit, description=description
        )
    if isinstance(source, bytes | bytearray | memoryview):
        if size is not None:
            raise ValueError("size= is only for streams; the size of bytes is their length")
        name = _required_name(filename, "bytes")
        description = f"{role} {name!r}"
        check_size(memoryview(source).nbytes, limit=limit, what=description)
        return _BytesSource(source, filename=name, limit=limit, description=description)
    if isinstance(source, AsyncIterable):
        name = _required_name(filename, "a stream")
        description = f"{role} {name!r}"
        if size is not None:
            check_size(size, limit=limit, what=description)
        return _StreamSource(source, filename=name, size=size, limit=limit, description=description)
    raise TypeError(
        "source must be a path (str or os.PathLike), bytes, or an async iterable of bytes, "
        f"not {type(source).__name__}"
    )


def _required_name(filename: str | None, kind: str) -> str:
    if not filename:
        raise ValueError(f"filename= is required when uploading {kind}")
    return filename


def _quote(value: str) -> str:
    """A ``Content-Disposition`` quoted-string: ``\\`` and ``"`` escaped, line breaks removed."""
    value = "".join(" " if ord(c) < 32 or ord(c) == 127 else c for c in value)
    return value.replace("\\", "\\\\").replace('"', '\\"')


class MultipartFile:
    """A ``multipart/form-data`` body with one file part, produced chunk by chunk.

    The body is ``head + file bytes + tail``; with the file's size known the ``Content-Length``
    is too (:meth:`headers`). The boundary is 128 random bits, so it can't occur in the file by
    chance. The file name is sent as UTF-8 in a quoted string (what browsers do).
    """

    def __init__(
        self,
        *,
        filename: str,
        content_type: str,
        field: str = "file",
        boundary: str | None = None,
    ) -> None:
        self.boundary = boundary or f"pneumatic-async-{secrets.token_hex(16)}"
        self.head = (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quote(field)}"; '
            f'filename="{_quote(filename)}"\r\n'
            f"Content-Type: {check_content_type(content_type)}\r\n"
            "\r\n"
        ).encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        """The request's ``Content-Type`` (with the boundary)."""
        return f"multipart/form-data; boundary={self.boundary}"

    def content_length(self, size: int | None) -> int | None:
        """The body's length for a file of ``size`` bytes (``None`` when the size is unknown)."""
        return None if size is None else len(self.head) + size + len(self.tail)

    def headers(self, size: int | None) -> dict[str, str]:
        """``Content-Type`` and, when the size is known, ``Content-Length``."""
        headers = {"Content-Type": self.content_type}
        length = self.content_length(size)
        if length is not None:
            headers["Content-Length"] = str(length)
        return headers

    async def encode(self, chunks: AsyncGenerator[bytes, None]) -> AsyncGenerator[bytes, None]:
        """The body: the head, each chunk of the file, the tail (closes ``chunks`` when done)."""
        async with aclosing(chunks):
            yield self.head
            async for chunk in chunks:
                yield chunk
            yield self.tail


class RequestBody:
    """A request body the client builds once per attempt (a retry sends it again from the start).

    Calling it returns a fresh chunk generator from ``make``; :meth:`aclose` closes every
    generator handed out (and so the files they opened), whether or not a transport finished it.
    """

    def __init__(self, make: Callable[[], AsyncGenerator[bytes, None]]) -> None:
        self._make = make
        self._handed_out: list[AsyncGenerator[bytes, None]] = []

    @property
    def attempts(self) -> int:
        """How many bodies were handed out."""
        return len(self._handed_out)

    def __call__(self) -> AsyncIterator[bytes]:
        generator = self._make()
        self._handed_out.append(generator)
        return generator

    async def aclose(self) -> None:
        """Close every generator handed out (shielded from cancellation)."""
        with anyio.CancelScope(shield=True):
            for generator in self._handed_out:
                try:
                    await generator.aclose()
                except RuntimeError:
                    # Still being run by a transport's writer that did not stop in time (the
                    # server answered early): that task closes it when it ends.
                    if getattr(generator, "ag_running", False):
                        continue
                    raise
