"""A small streaming ``multipart/form-data`` reader for the fake file service.

Starlette's own form parser needs the ``python-multipart`` package, which the ``testing`` extra does
not install; this reader needs nothing. It reads the request body chunk by chunk (each byte is
looked at once, never buffered whole) and hands each part's body to the caller as chunks, so an
upload of any size is stored without holding or reading the body twice.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from email.message import Message

__all__ = ["MultipartError", "Part", "boundary_from_content_type", "iter_parts"]


class MultipartError(ValueError):
    """The body is not valid ``multipart/form-data``."""


@dataclass
class Part:
    """One part: its headers, ``name`` / ``filename`` from Content-Disposition and a body stream."""

    headers: dict[str, str]
    name: str | None
    filename: str | None
    content_type: str | None
    _reader: _Reader = field(repr=False)

    async def chunks(self) -> AsyncIterator[bytes]:
        """The part's body, chunk by chunk (may be called once)."""
        async for chunk in self._reader.body_chunks():
            yield chunk


def boundary_from_content_type(content_type: str | None) -> bytes | None:
    """The ``boundary`` parameter of a ``multipart/form-data`` Content-Type, if any."""
    if not content_type:
        return None
    msg = Message()
    msg["content-type"] = content_type
    if msg.get_content_type() != "multipart/form-data":
        return None
    boundary = msg.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        return None
    return boundary.encode("latin-1")


class _Reader:
    """Buffering state shared by the part iterator and the current part's body stream."""

    def __init__(self, stream: AsyncIterator[bytes], boundary: bytes) -> None:
        self._stream = stream
        self._buffer = bytearray()
        self._eof = False
        self._delimiter = b"\r\n--" + boundary
        self._first = b"--" + boundary
        self.part_done = True

    async def _fill(self) -> bool:
        """Read one more chunk into the buffer; False at end of stream."""
        if self._eof:
            return False
        try:
            chunk = await anext(self._stream)
        except StopAsyncIteration:
            self._eof = True
            return False
        self._buffer += chunk
        return True

    async def _drain(self) -> None:
        """Read and drop the rest of the stream (the epilogue)."""
        self._buffer.clear()
        while await self._fill():
            self._buffer.clear()

    async def _read_until(self, marker: bytes, limit: int = 64 * 1024) -> bytes:
        while (index := self._buffer.find(marker)) < 0:
            if len(self._buffer) > limit or not await self._fill():
                raise MultipartError("malformed multipart body")
        data = bytes(self._buffer[:index])
        del self._buffer[: index + len(marker)]
        return data

    async def _read_exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            if not await self._fill():
                raise MultipartError("unexpected end of multipart body")
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    async def start(self) -> None:
        """Skip the preamble up to the first boundary line."""
        while True:
            line = await self._read_until(b"\r\n")
            if line.rstrip() == self._first:
                return
            if line.rstrip() == self._first + b"--":
                await self._drain()
                return

    async def next_headers(self) -> dict[str, str] | None:
        """Headers of the next part, or None after the closing boundary."""
        if self._eof and not self._buffer:
            return None
        raw = await self._read_until(b"\r\n\r\n")
        headers: dict[str, str] = {}
        for line in raw.split(b"\r\n"):
            if not line:
                continue
            key, sep, value = line.partition(b":")
            if not sep:
                raise MultipartError("malformed part header")
            headers[key.decode("latin-1").strip().lower()] = value.decode("utf-8").strip()
        self.part_done = False
        return headers

    async def body_chunks(self) -> AsyncIterator[bytes]:
        """Yield the current part's body up to the next delimiter, then consume the delimiter."""
        keep = len(self._delimiter) - 1
        while not self.part_done:
            index = self._buffer.find(self._delimiter)
            if index >= 0:
                if index:
                    yield bytes(self._buffer[:index])
                del self._buffer[: index + len(self._delimiter)]
                await self._after_delimiter()
                return
            if len(self._buffer) > keep:
                chunk = bytes(self._buffer[:-keep])
                del self._buffer[:-keep]
                yield chunk
            if not await self._fill():
                raise MultipartError("unexpected end of multipart body")

    async def skip_body(self) -> None:
        """Discard the rest of the current part."""
        async for _ in self.body_chunks():
            pass

    async def _after_delimiter(self) -> None:
        self.part_done = True
        tail = await self._read_exact(2)
        if tail == b"--":
            await self._drain()
        elif tail != b"\r\n":
            raise MultipartError("malformed multipart boundary")


async def iter_parts(stream: AsyncIterator[bytes], boundary: bytes) -> AsyncGenerator[Part, None]:
    """Yield the parts of a multipart body; a part not read by the caller is skipped."""
    reader = _Reader(stream, boundary)
    await reader.start()
    while True:
        if not reader.part_done:
            await reader.skip_body()
        headers = await reader.next_headers()
        if headers is None:
            return
        msg = Message()
        msg["content-disposition"] = headers.get("content-disposition", "")
        name = msg.get_param("name", header="content-disposition")
        filename = msg.get_filename()
        yield Part(
            headers=headers,
            name=name if isinstance(name, str) else None,
            filename=filename,
            content_type=headers.get("content-type"),
            _reader=reader,
        )
