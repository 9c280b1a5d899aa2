"""``client.files``: uploads through the file service and the documented signed-URL chain.

respx routes check the requests the SDK sends (built from the captured real answers where they
exist: 128-131); counting transports check streaming (flat memory, the 100 MiB limit, read errors
a transport wraps); the fake server checks the whole flow end to end.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import os
import tracemalloc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest
import respx

from pneumatic_async import Pneumatic
from pneumatic_async._http import httpx
from pneumatic_async._uploads import (
    CHUNK_SIZE,
    MAX_UPLOAD_SIZE,
    MultipartFile,
    RequestBody,
    check_content_type,
    check_size,
    guess_content_type,
    open_source,
)
from pneumatic_async.errors import (
    AmbiguousOutcomeError,
    AuthenticationError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseValidationError,
    UploadError,
)
from pneumatic_async.models.files import Attachment, UploadedFile
from pneumatic_async.resources.files import files_value
from pneumatic_async.retries import RetryEvent, RetryPolicy
from pneumatic_async.testing import FakePneumatic
from tests.captures import body, capture
from tests.conftest import API_KEY, BASE_URL

FILE_SERVICE = f"{BASE_URL}/files"
UPLOAD_URL = f"{FILE_SERVICE}/upload"
STORAGE = "https://storage.example/bucket"
FILE_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
UPLOADED = {"public_url": f"{FILE_SERVICE}/{FILE_ID}", "file_id": FILE_ID}
NO_WAIT = RetryPolicy(initial_backoff=0.0, max_backoff=0.0, max_retry_after=0.0)
MiB = 1024 * 1024


# -- helpers ---------------------------------------------------------------------------------


@attrs.frozen
class Part:
    """One part of a multipart body, parsed back with the standard library's email parser."""

    name: str | None
    filename: str | None
    content_type: str
    data: bytes


def parse_multipart(content_type: str, content: bytes) -> list[Part]:
    """Parse a ``multipart/form-data`` body independently of the SDK's encoder."""
    raw = f"Content-Type: {content_type}\r\n\r\n".encode() + content
    message = email.message_from_bytes(raw, policy=email.policy.HTTP)
    assert message.is_multipart()
    parts = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        assert name is None or isinstance(name, str)
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        parts.append(Part(name, part.get_filename(), part.get_content_type(), payload))
    assert not message.defects
    return parts


def sent_file(request: httpx.Request) -> Part:
    """The single ``file`` part of an upload request."""
    parts = parse_multipart(request.headers["content-type"], request.content)
    assert len(parts) == 1
    assert parts[0].name == "file"
    return parts[0]


def respond(name: str) -> httpx.Response:
    """The captured real response ``name`` (status, content type and body)."""
    response = capture(name)["response"]
    content_type = response["headers"].get("content-type", "application/json")
    if response["body_kind"] == "json":
        return httpx.Response(response["status"], json=response["body"])
    return httpx.Response(
        response["status"], text=response["body"], headers={"Content-Type": content_type}
    )


@asynccontextmanager
async def pneumatic(
    transport: httpx.AsyncBaseTransport, **options: Any
) -> AsyncIterator[Pneumatic]:
    """A client on ``transport`` whose retries never wait (not even a ``Retry-After``)."""
    options.setdefault("retry", NO_WAIT)
    async with Pneumatic(
        api_key=API_KEY, base_url=BASE_URL, transport=transport, **options
    ) as client:
        yield client


def mocked(router: respx.MockRouter, **options: Any) -> Any:
    return pneumatic(httpx.MockTransport(router.async_handler), **options)


async def chunks(*pieces: Any) -> AsyncIterator[bytes]:
    for piece in pieces:
        yield piece


@attrs.define
class Received:
    """What a :class:`StreamingServer` saw of one request (never the whole body)."""

    method: str
    url: str
    headers: httpx.Headers
    size: int = 0
    first: bytes = b""
    last: bytes = b""
    sha256: str = ""


class StreamingServer(httpx.AsyncBaseTransport):
    """Consumes each request body chunk by chunk, keeping only a count, a hash and its ends.

    ``before_body`` runs before the body is read; ``wrap_errors`` turns an error raised while
    pulling the body into ``httpx.WriteError``, as aiohttp does.
    """

    def __init__(
        self,
        answer: dict[str, Any] | None = None,
        *,
        before_body: Callable[[], None] | None = None,
        wrap_errors: bool = False,
    ) -> None:
        self.answer = UPLOADED if answer is None else answer
        self.before_body = before_body
        self.wrap_errors = wrap_errors
        self.received: list[Received] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        seen = Received(request.method, str(request.url), request.headers)
        self.received.append(seen)
        if self.before_body is not None:
            self.before_body()
        digest = hashlib.sha256()
        try:
            async for chunk in request.stream:  # type: ignore[union-attr]
                if not seen.first:
                    seen.first = chunk
                seen.last = chunk
                seen.size += len(chunk)
                digest.update(chunk)
        except Exception as exc:
            if self.wrap_errors:
                raise httpx.WriteError("failed to send bytes", request=request) from exc
            raise
        seen.sha256 = digest.hexdigest()
        return httpx.Response(200, json=self.answer)


def sparse_file(path: Path, size: int) -> Path:
    """A file of ``size`` zero bytes that takes no disk space (and no time) to make."""
    with path.open("wb") as file:
        file.truncate(size)
    return path


# -- pure helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("report.pdf", "application/pdf"),
        ("photo.PNG", "image/png"),
        ("table.csv", "text/csv"),
        ("notes.txt", "text/plain"),
        ("data.json", "application/json"),
        ("logs.tar.gz", "application/gzip"),
        ("dump.sql.bz2", "application/x-bzip2"),
        ("README", "application/octet-stream"),
        ("blob.zz-unknown", "application/octet-stream"),
    ],
)
def test_guess_content_type(filename: str, expected: str) -> None:
    assert guess_content_type(filename) == expected


def test_check_size_allows_exactly_the_limit() -> None:
    check_size(MAX_UPLOAD_SIZE)
    with pytest.raises(UploadError) as caught:
        check_size(MAX_UPLOAD_SIZE + 1, what="file 'x'")
    assert caught.value.stage == "read"
    assert "104,857,601 bytes" in str(caught.value)
    assert "104,857,600" in str(caught.value)


@pytest.mark.parametrize("bad", ["", "text/plain\r\nX-Evil: 1", "a\nb", "x\x00"])
def test_check_content_type_rejects_header_breaking_values(bad: str) -> None:
    with pytest.raises(ValueError, match="content_type"):
        check_content_type(bad)


async def test_multipart_body_is_well_formed_and_has_an_exact_length() -> None:
    # Bytes that look like boundaries and line breaks must come back untouched.
    data = bytes(range(256)) * 3 + b"\r\n--\r\n\r\n\n\r--x--" + os.urandom(3 * CHUNK_SIZE)
    source = await open_source(data, filename='q "uote" \\ é.bin', size=None)
    multipart = MultipartFile(filename=source.filename, content_type="application/x-custom")
    content = b"".join([chunk async for chunk in multipart.encode(source.chunks())])

    assert len(content) == multipart.content_length(source.size)
    assert multipart.headers(source.size) == {
        "Content-Type": multipart.content_type,
        "Content-Length": str(len(content)),
    }
    assert multipart.content_type.startswith("multipart/form-data; boundary=pneumatic-async-")
    [part] = parse_multipart(multipart.content_type, content)
    assert part == Part("file", 'q "uote" \\ é.bin', "application/x-custom", data)


async def test_multipart_filename_line_breaks_cannot_inject_headers() -> None:
    source = await open_source(b"x", filename="a\r\nContent-Type: text/html\r\n.txt", size=None)
    multipart = MultipartFile(filename=source.filename, content_type="text/plain")
    content = b"".join([chunk async for chunk in multipart.encode(source.chunks())])
    [part] = parse_multipart(multipart.content_type, content)
    assert part.content_type == "text/plain"
    assert part.filename == "a  Content-Type: text/html  .txt"


def test_multipart_boundaries_differ_per_body() -> None:
    first = MultipartFile(filename="a", content_type="text/plain")
    second = MultipartFile(filename="a", content_type="text/plain")
    assert first.boundary != second.boundary
    assert first.content_length(None) is None
    assert "Content-Length" not in first.headers(None)


async def test_request_body_hands_out_fresh_bodies_and_closes_them(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"abc" * 100_000)
    source = await open_source(path, filename=None, size=None)
    body = RequestBody(source.chunks)
    first = body()
    assert await anext(first) == (b"abc" * 100_000)[:CHUNK_SIZE]
    second = body()  # a retry starts from the beginning again
    assert b"".join([chunk async for chunk in second]) == b"abc" * 100_000
    await body.aclose()
    assert body.attempts == 2
    with pytest.raises(StopAsyncIteration):
        await anext(first)  # closed (and its file with it)


# -- source checks, before any request ---------------------------------------------------------


async def test_missing_path_fails_at_stage_read_without_a_request(
    router: respx.MockRouter, client: Pneumatic, tmp_path: Path
) -> None:
    route = router.post(UPLOAD_URL).respond(json=UPLOADED)
    with pytest.raises(UploadError) as caught:
        await client.files.upload(tmp_path / "missing.pdf")
    assert caught.value.stage == "read"
    assert isinstance(caught.value.cause, FileNotFoundError)
    assert "missing.pdf" in str(caught.value)
    assert not route.called


async def test_directory_is_not_uploaded(client: Pneumatic, tmp_path: Path) -> None:
    with pytest.raises(UploadError, match="not a regular file") as caught:
        await client.files.upload(tmp_path)
    assert caught.value.stage == "read"


async def test_file_over_100_mib_is_refused_before_any_request(tmp_path: Path) -> None:
    server = StreamingServer()
    big = sparse_file(tmp_path / "big.bin", MAX_UPLOAD_SIZE + 1)
    async with pneumatic(server) as client:
        with pytest.raises(UploadError) as caught:
            await client.files.upload(big)
    assert caught.value.stage == "read"
    assert "104,857,601 bytes" in str(caught.value)
    assert server.received == []


async def test_declared_stream_size_over_100_mib_is_refused_before_any_request() -> None:
    server = StreamingServer()
    stream = chunks(b"x")
    async with pneumatic(server) as client:
        with pytest.raises(UploadError) as caught:
            await client.files.upload(stream, filename="a.bin", size=MAX_UPLOAD_SIZE + 1)
    assert caught.value.stage == "read"
    assert server.received == []
    await stream.aclose()  # type: ignore[attr-defined]


async def test_stream_of_unknown_size_is_stopped_past_100_mib() -> None:
    megabyte = bytes(MiB)
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        while True:
            pulled += 1
            yield megabyte

    server = StreamingServer()
    stream = endless()
    async with pneumatic(server) as client:
        with pytest.raises(UploadError, match="over the upload limit") as caught:
            await client.files.upload(stream, filename="endless.bin")
    assert caught.value.stage == "read"
    [seen] = server.received
    assert "content-length" not in seen.headers  # unknown size: sent chunked
    assert seen.headers["transfer-encoding"] == "chunked"
    assert pulled == 101  # the 101st MiB crosses the limit and is never sent
    assert seen.size <= MAX_UPLOAD_SIZE + 1024
    await stream.aclose()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source": b"abc"}, "filename= is required when uploading bytes"),
        ({"source": "STREAM"}, "filename= is required when uploading a stream"),
        ({"source": b"abc", "filename": "a", "size": 3}, "size= is only for streams"),
        ({"source": "STREAM", "filename": "a", "size": -1}, "non-negative"),
        ({"source": b"abc", "filename": "a", "thumbnail": b"t"}, "upload_strategy='signed_url'"),
        ({"source": b"abc", "filename": "a", "content_type": "a\r\nb: c"}, "content_type"),
        ({"source": b"abc", "filename": "a", "publish_via": "nope"}, "publish_via"),
    ],
)
async def test_bad_arguments_raise_value_error_without_a_request(
    router: respx.MockRouter, client: Pneumatic, kwargs: dict[str, Any], message: str
) -> None:
    route = router.post(UPLOAD_URL).respond(json=UPLOADED)
    if kwargs["source"] == "STREAM":
        kwargs["source"] = chunks(b"abc")
    with pytest.raises(ValueError, match=message):
        await client.files.upload(**kwargs)
    assert not route.called


async def test_unsupported_source_type_is_a_type_error(client: Pneumatic) -> None:
    with pytest.raises(TypeError, match="source must be"):
        await client.files.upload(123, filename="a")  # type: ignore[arg-type]


# -- file service (respx) ----------------------------------------------------------------------


async def test_upload_bytes_sends_one_multipart_post_to_the_file_service(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    route = router.post(UPLOAD_URL).respond(json=UPLOADED)
    uploaded = await client.files.upload(b"%PDF-1.7 ...", filename="Q3 report.pdf")

    assert uploaded == UploadedFile(
        file_id=FILE_ID, public_url=UPLOADED["public_url"], filename="Q3 report.pdf"
    )
    request = route.calls.last.request
    assert request.method == "POST"
    assert str(request.url) == UPLOAD_URL
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert int(request.headers["content-length"]) == len(request.content)
    assert sent_file(request) == Part("file", "Q3 report.pdf", "application/pdf", b"%PDF-1.7 ...")


async def test_upload_path_names_the_file_after_its_path_and_guesses_the_type(
    router: respx.MockRouter, client: Pneumatic, tmp_path: Path
) -> None:
    route = router.post(UPLOAD_URL).respond(json=UPLOADED)
    path = tmp_path / "photo.png"
    data = os.urandom(CHUNK_SIZE * 2 + 17)  # several chunks
    path.write_bytes(data)

    uploaded = await client.files.upload(path)
    assert uploaded.filename == "photo.png"
    assert sent_file(route.calls.last.request) == Part("file", "photo.png", "image/png", data)

    await client.files.upload(str(path), filename="renamed.bin", content_type="image/x-mine")
    part = sent_file(route.calls.last.request)
    assert (part.filename, part.content_type, part.data) == ("renamed.bin", "image/x-mine", data)


async def test_upload_stream_with_declared_size_sends_content_length(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    route = router.post(UPLOAD_URL).respond(json=UPLOADED)
    uploaded = await client.files.upload(
        chunks(b"a,b\n", bytearray(b"1,2\n"), memoryview(b"3,4\n")), filename="t.csv", size=12
    )
    assert uploaded.filename == "t.csv"
    request = route.calls.last.request
    assert int(request.headers["content-length"]) == len(request.content)
    assert "transfer-encoding" not in request.headers
    assert sent_file(request) == Part("file", "t.csv", "text/csv", b"a,b\n1,2\n3,4\n")


async def test_upload_stream_of_unknown_size_is_sent_chunked(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    route = router.post(UPLOAD_URL).respond(json=UPLOADED)
    await client.files.upload(chunks(b"hello ", b"", b"world"), filename="hi.txt")
    request = route.calls.last.request
    assert request.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in request.headers
    assert sent_file(request).data == b"hello world"


@pytest.mark.parametrize(
    ("pieces", "size", "message"),
    [
        ((b"abc", b"def"), 4, "more than the 4 bytes"),
        ((b"abc",), 10, "ended after 3 bytes"),
        ((b"abc", "text"), None, "yielded str, not bytes"),
    ],
)
async def test_stream_that_breaks_its_promise_fails_at_stage_read(
    client: Pneumatic,
    router: respx.MockRouter,
    pieces: tuple[Any, ...],
    size: int | None,
    message: str,
) -> None:
    router.post(UPLOAD_URL).respond(json=UPLOADED)
    with pytest.raises(UploadError, match=message) as caught:
        await client.files.upload(chunks(*pieces), filename="a.bin", size=size)
    assert caught.value.stage == "read"


async def test_error_raised_by_the_stream_fails_at_stage_read(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    router.post(UPLOAD_URL).respond(json=UPLOADED)

    async def broken() -> AsyncIterator[bytes]:
        yield b"abc"
        raise OSError("disk on fire")

    with pytest.raises(UploadError, match="disk on fire") as caught:
        await client.files.upload(broken(), filename="a.bin")
    assert caught.value.stage == "read"
    assert isinstance(caught.value.cause, OSError)


async def test_read_error_wrapped_by_the_transport_is_still_a_read_error() -> None:
    # aiohttp reports an error raised by the body as a connection error: the SDK must still
    # report the read failure, not "outcome unknown" for the POST.
    async def broken() -> AsyncIterator[bytes]:
        yield b"abc"
        raise OSError("device gone")

    server = StreamingServer(wrap_errors=True)
    async with pneumatic(server) as client:
        with pytest.raises(UploadError, match="device gone") as caught:
            await client.files.upload(broken(), filename="a.bin")
    assert caught.value.stage == "read"
    assert isinstance(caught.value.cause, OSError)
    assert isinstance(caught.value.__context__, UploadError | AmbiguousOutcomeError)
    assert len(server.received) == 1


@pytest.mark.parametrize("change", ["grow", "shrink"])
async def test_file_that_changes_while_uploading_fails_at_stage_read(
    tmp_path: Path, change: str
) -> None:
    path = tmp_path / "live.log"
    path.write_bytes(b"x" * 1000)

    def modify() -> None:  # after the stat, before the bytes are read
        path.write_bytes(b"x" * (2000 if change == "grow" else 10))

    server = StreamingServer(before_body=modify)
    async with pneumatic(server) as client:
        with pytest.raises(UploadError, match="did it change while being uploaded") as caught:
            await client.files.upload(path)
    assert caught.value.stage == "read"


async def test_50_mb_upload_streams_with_flat_memory(tmp_path: Path) -> None:
    size = 50 * 1000 * 1000
    path = sparse_file(tmp_path / "video.mp4", size)
    warm_up = sparse_file(tmp_path / "warm-up.mp4", 10)
    server = StreamingServer()
    async with pneumatic(server) as client:
        await client.files.upload(warm_up)  # lazy imports, mimetypes' tables, worker threads
        tracemalloc.start()
        try:
            uploaded = await client.files.upload(path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

    assert uploaded.filename == "video.mp4"
    assert peak < 2 * MiB, f"peak {peak:,} bytes while uploading {size:,}"
    seen = server.received[-1]
    assert seen.size == int(seen.headers["content-length"])
    assert "transfer-encoding" not in seen.headers
    expected = hashlib.sha256(seen.first)
    for _ in range(size // MiB):
        expected.update(bytes(MiB))
    expected.update(bytes(size % MiB))
    expected.update(seen.last)
    assert seen.sha256 == expected.hexdigest()
    assert seen.size == len(seen.first) + size + len(seen.last)
    assert b'filename="video.mp4"\r\nContent-Type: video/mp4\r\n\r\n' in seen.first
    assert seen.last.startswith(b"\r\n--pneumatic-async-")
    assert seen.last.endswith(b"--\r\n")


# -- file service errors and retries -----------------------------------------------------------


async def test_upload_is_not_sent_again_after_an_ambiguous_500(router: respx.MockRouter) -> None:
    route = router.post(UPLOAD_URL).respond(500, text="Internal Server Error")
    async with mocked(router) as client:
        with pytest.raises(UploadError) as caught:
            await client.files.upload(b"abc", filename="a.txt")
    assert caught.value.stage == "upload"
    assert isinstance(caught.value.cause, AmbiguousOutcomeError)
    assert caught.value.__cause__ is caught.value.cause
    assert isinstance(caught.value.cause.cause, InternalServerError)
    assert route.call_count == 1


async def test_upload_is_sent_again_after_429_with_a_fresh_body(
    router: respx.MockRouter, tmp_path: Path
) -> None:
    limited = httpx.Response(
        429,
        headers={"Retry-After": "60"},
        json={"detail": "Rate limit exceeded", "retry_after": 60},
    )
    route = router.post(UPLOAD_URL).mock(side_effect=[limited, httpx.Response(200, json=UPLOADED)])
    retries: list[RetryEvent] = []
    path = tmp_path / "a.txt"
    path.write_bytes(b"abc" * 200_000)

    async with mocked(router, on_retry=retries.append) as client:
        uploaded = await client.files.upload(path)

    assert uploaded.file_id == FILE_ID
    assert route.call_count == 2
    first, second = (call.request for call in route.calls)
    assert first.content == second.content  # the whole body again, from the start
    assert sent_file(second).data == b"abc" * 200_000
    assert [(e.method, e.path, e.reason) for e in retries] == [
        ("POST", "/files/upload", "429 rate limited")
    ]


async def test_consumed_stream_cannot_be_sent_again_after_429(router: respx.MockRouter) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "60"}, json={"detail": "x"})
    route = router.post(UPLOAD_URL).mock(side_effect=[limited, httpx.Response(200, json=UPLOADED)])
    async with mocked(router) as client:
        with pytest.raises(UploadError, match="can't be sent again") as caught:
            await client.files.upload(chunks(b"abc"), filename="a.txt")
    assert caught.value.stage == "read"
    assert route.call_count == 1


async def test_upload_gives_up_after_repeated_429(router: respx.MockRouter) -> None:
    route = router.post(UPLOAD_URL).respond(
        429, headers={"Retry-After": "60"}, json={"detail": "Rate limit exceeded"}
    )
    policy = attrs.evolve(NO_WAIT, max_attempts=3)
    async with mocked(router, retry=policy) as client:
        with pytest.raises(UploadError) as caught:
            await client.files.upload(b"abc", filename="a.txt")
    assert caught.value.stage == "upload"
    assert isinstance(caught.value.cause, RateLimitError)
    assert caught.value.cause.retry_after == 60
    assert route.call_count == 3


async def test_file_service_error_shape_is_kept_on_the_cause(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    router.post(UPLOAD_URL).respond(
        401, json={"code": "AUTH_001", "message": "Authentication failed"}
    )
    with pytest.raises(UploadError, match="Authentication failed") as caught:
        await client.files.upload(b"abc", filename="a.txt")
    assert caught.value.stage == "upload"
    assert isinstance(caught.value.cause, AuthenticationError)
    assert caught.value.cause.code == "AUTH_001"


async def test_bad_upload_answer_fails_at_stage_upload(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    router.post(UPLOAD_URL).respond(json={"file_id": FILE_ID})
    with pytest.raises(UploadError) as caught:
        await client.files.upload(b"abc", filename="a.txt")
    assert caught.value.stage == "upload"
    assert isinstance(caught.value.cause, ResponseValidationError)


async def test_configured_file_service_url_gets_the_key(router: respx.MockRouter) -> None:
    route = router.post("https://files.example.com/svc/upload").respond(json=UPLOADED)
    async with mocked(router, file_service_url="https://files.example.com/svc/") as client:
        await client.files.upload(b"abc", filename="a.txt")
    assert route.calls.last.request.headers["authorization"] == f"Bearer {API_KEY}"


async def test_upload_through_a_with_options_view_uses_its_timeout(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    route = router.post(UPLOAD_URL).respond(json=UPLOADED)
    await client.with_options(timeout=120).files.upload(b"abc", filename="a.txt")
    assert route.calls.last.request.extensions["timeout"]["read"] == 120


# -- files_value -------------------------------------------------------------------------------


def test_files_value_is_a_list_of_markdown_links() -> None:
    a = UploadedFile(file_id="1", public_url="https://f.example/1", filename="a [draft].pdf")
    b = UploadedFile(file_id="2", public_url="https://f.example/2")
    assert files_value(a, b) == ["[a (draft).pdf](https://f.example/1)", "[2](https://f.example/2)"]
    assert files_value() == []
    assert a.markdown_link("Contract") == "[Contract](https://f.example/1)"


# -- signed-URL chain (respx) ------------------------------------------------------------------


def signed_routes(router: respx.MockRouter, *, publish: str = "publish") -> dict[str, Any]:
    created = {
        "id": 7,
        "file_upload_url": f"{STORAGE}/k/pic.png?expires=1&signature=abc",
        "thumbnail_upload_url": f"{STORAGE}/k/thumb_pic.png?expires=1&signature=def",
    }
    published: dict[str, Any] = {"url": f"{STORAGE}/k/pic.png", "thumbnail_url": None}
    if publish == "links":
        published = {**published, "id": 7, "name": "pic.png", "size": 3}
    return {
        "create": router.post("/workflows/attachments").respond(json=created),
        "put": router.put(f"{STORAGE}/k/pic.png").respond(200),
        "thumb": router.put(f"{STORAGE}/k/thumb_pic.png").respond(200),
        "publish": router.post(f"/workflows/attachments/7/{publish}").respond(json=published),
    }


async def test_signed_url_chain_create_put_publish(router: respx.MockRouter) -> None:
    routes = signed_routes(router)
    async with mocked(
        router, upload_strategy="signed_url", default_headers={"X-Team": "ops"}
    ) as client:
        uploaded = await client.files.upload(b"PNG", filename="pic.png")

    assert uploaded == UploadedFile(
        file_id="7", public_url=f"{STORAGE}/k/pic.png", filename="pic.png", thumbnail_url=None
    )
    create = routes["create"].calls.last.request
    assert create.headers["authorization"] == f"Bearer {API_KEY}"
    assert create.headers["content-type"] == "application/json"
    assert create.headers["x-team"] == "ops"
    assert httpx.Response(200, content=create.content).json() == {
        "filename": "pic.png",
        "content_type": "image/png",
        "size": 3,
    }
    put = routes["put"].calls.last.request
    assert put.url.params["signature"] == "abc"  # the signed URL is used as given
    assert put.content == b"PNG"
    # Only what the signature covers: no API key, no SDK or client headers.
    assert sorted(put.headers) == ["content-length", "content-type", "host"]
    assert put.headers["content-type"] == "image/png"
    assert put.headers["content-length"] == "3"
    assert not routes["thumb"].called
    publish = routes["publish"].calls.last.request
    assert publish.headers["authorization"] == f"Bearer {API_KEY}"
    assert publish.content == b""


async def test_signed_url_chain_puts_the_thumbnail_and_uses_the_links_route(
    router: respx.MockRouter, tmp_path: Path
) -> None:
    routes = signed_routes(router, publish="links")
    thumbnail = tmp_path / "small.png"
    thumbnail.write_bytes(b"th")
    async with mocked(router, upload_strategy="signed_url") as client:
        uploaded = await client.files.upload(
            chunks(b"P", b"NG"),
            filename="pic.png",
            size=3,
            thumbnail=thumbnail,
            publish_via="links",
        )
    assert uploaded.file_id == "7"
    create = routes["create"].calls.last.request
    assert httpx.Response(200, content=create.content).json()["thumbnail"] is True
    thumb = routes["thumb"].calls.last.request
    assert thumb.content == b"th"
    assert thumb.headers["content-type"] == "image/png"  # the URL is signed for the file's type
    assert "authorization" not in thumb.headers
    assert routes["publish"].called


async def test_signed_url_chain_needs_the_size_of_a_stream(router: respx.MockRouter) -> None:
    routes = signed_routes(router)
    async with mocked(router, upload_strategy="signed_url") as client:
        with pytest.raises(ValueError, match="pass size= with a stream"):
            await client.files.upload(chunks(b"abc"), filename="a.bin")
    assert not routes["create"].called


async def test_signed_url_chain_refuses_exactly_100_mib(
    router: respx.MockRouter, tmp_path: Path
) -> None:
    # The documented chain takes sizes "less than 104857600 bytes".
    routes = signed_routes(router)
    path = sparse_file(tmp_path / "edge.bin", MAX_UPLOAD_SIZE)
    async with mocked(router, upload_strategy="signed_url") as client:
        with pytest.raises(UploadError) as caught:
            await client.files.upload(path)
    assert caught.value.stage == "read"
    assert not routes["create"].called


@pytest.mark.parametrize(
    ("capture_name", "error"),
    [
        ("129_workflows_attachments_POST", PermissionDeniedError),
        ("130_workflows_attachments_1_publish", NotFoundError),  # an HTML 404 page
    ],
)
async def test_create_refused_by_the_real_server_names_stage_create_with_a_hint(
    router: respx.MockRouter, capture_name: str, error: type[Exception]
) -> None:
    route = router.post("/workflows/attachments").mock(return_value=respond(capture_name))
    async with mocked(router, upload_strategy="signed_url") as client:
        with pytest.raises(UploadError) as caught:
            await client.files.upload(b"abc", filename="a.txt")
    assert caught.value.stage == "create"
    assert isinstance(caught.value.cause, error)
    assert caught.value.__cause__ is caught.value.cause
    message = str(caught.value)
    assert "no attachment endpoints" in message
    assert "upload_strategy='file_service'" in message
    assert route.call_count == 1
    sent = route.calls.last.request
    assert (
        httpx.Response(200, content=sent.content).json()
        == capture("129_workflows_attachments_POST")["request"]["json"]
    )


@pytest.mark.parametrize(
    ("publish_via", "capture_name"),
    [
        ("publish", "130_workflows_attachments_1_publish"),
        ("links", "131_workflows_attachments_links"),
    ],
)
async def test_failing_publish_names_stage_publish(
    router: respx.MockRouter, publish_via: str, capture_name: str
) -> None:
    routes = signed_routes(router, publish=publish_via)
    routes["publish"].mock(return_value=respond(capture_name))
    async with mocked(router, upload_strategy="signed_url") as client:
        with pytest.raises(UploadError) as caught:
            await client.files.upload(b"PNG", filename="pic.png", publish_via=publish_via)
    assert caught.value.stage == "publish"
    assert isinstance(caught.value.cause, NotFoundError)
    assert "Not Found" in str(caught.value)
    assert routes["put"].called


async def test_failing_put_names_stage_put(router: respx.MockRouter) -> None:
    routes = signed_routes(router)
    routes["put"].respond(
        403,
        text="<Error><Code>SignatureDoesNotMatch</Code></Error>",
        headers={"Content-Type": "application/xml"},
    )
    async with mocked(router, upload_strategy="signed_url") as client:
        with pytest.raises(UploadError) as caught:
            await client.files.upload(b"PNG", filename="pic.png")
    assert caught.value.stage == "put"
    assert isinstance(caught.value.cause, PermissionDeniedError)
    assert "signature=" not in str(caught.value)  # the signed URL's secret stays out
    assert not routes["publish"].called


async def test_put_is_retried_with_a_fresh_body_after_503(router: respx.MockRouter) -> None:
    routes = signed_routes(router)
    routes["put"].mock(side_effect=[httpx.Response(503), httpx.Response(200)])
    async with mocked(router, upload_strategy="signed_url") as client:
        await client.files.upload(b"PNG", filename="pic.png")
    assert routes["put"].call_count == 2
    assert [call.request.content for call in routes["put"].calls] == [b"PNG", b"PNG"]


async def test_create_500_is_not_retried_and_has_no_hint(router: respx.MockRouter) -> None:
    routes = signed_routes(router)
    routes["create"].respond(500, text="<h1>Server Error (500)</h1>")
    async with mocked(router, upload_strategy="signed_url") as client:
        with pytest.raises(UploadError) as caught:
            await client.files.upload(b"PNG", filename="pic.png")
    assert caught.value.stage == "create"
    assert isinstance(caught.value.cause, AmbiguousOutcomeError)
    assert "no attachment endpoints" not in str(caught.value)
    assert routes["create"].call_count == 1


# -- attachments list --------------------------------------------------------------------------


async def test_list_attachments_pages_the_envelope(
    router: respx.MockRouter, client: Pneumatic
) -> None:
    route = router.get("/attachments").respond(json=body("128_attachments_list"))
    assert await client.files.list_attachments(page_size=50).collect(max_items=500) == []
    assert route.call_count == 1
    assert dict(route.calls.last.request.url.params) == {"limit": "50", "offset": "0"}


# -- against the fake server -------------------------------------------------------------------


def fake_client(fake: FakePneumatic, **options: Any) -> Any:
    options.setdefault("retry", NO_WAIT)
    return Pneumatic(
        transport=fake.transport(), base_url=fake.base_url, api_key=fake.api_key, **options
    )


async def test_fake_stores_uploads_of_every_source_kind(tmp_path: Path) -> None:
    fake = FakePneumatic()
    path = tmp_path / "notes.md"
    path.write_bytes(b"# Notes\n" * 50_000)
    async with fake_client(fake) as client:
        from_bytes = await client.files.upload(b"\x00\x01binary\r\n--", filename="résumé.pdf")
        from_path = await client.files.upload(path)
        from_stream = await client.files.upload(chunks(b"a,", b"b"), filename="x.csv")

    stored = {f.file_id: f for f in fake.files.files.values()}
    assert stored[from_bytes.file_id].data == b"\x00\x01binary\r\n--"
    assert stored[from_bytes.file_id].filename == "résumé.pdf"
    assert stored[from_bytes.file_id].content_type == "application/pdf"
    assert stored[from_path.file_id].data == b"# Notes\n" * 50_000
    assert stored[from_path.file_id].filename == "notes.md"
    assert stored[from_stream.file_id].data == b"a,b"
    assert stored[from_stream.file_id].content_type == "text/csv"
    assert stored[from_stream.file_id].user_id == fake.owner.id
    assert from_path.public_url == f"{fake.file_service_url}/{from_path.file_id}"


async def test_fake_accepts_files_value_in_a_file_kickoff_field() -> None:
    fake = FakePneumatic()
    template = fake.add_template(
        {
            "name": "Docs",
            "kickoff": {
                "fields": [
                    {
                        "order": 1,
                        "name": "Docs",
                        "type": "file",
                        "api_name": "docs",
                        "is_required": True,
                    }
                ]
            },
            "tasks": [
                {
                    "number": 1,
                    "name": "Review",
                    "api_name": "review",
                    "raw_performers": [{"type": "workflow_starter", "source_id": None}],
                }
            ],
        }
    )
    async with fake_client(fake) as client:
        a = await client.files.upload(b"A", filename="a.txt")
        b = await client.files.upload(b"B", filename="b [v2].txt")
        workflow = await client.request(
            "POST", f"/templates/{template.id}/run", json={"kickoff": {"docs": files_value(a, b)}}
        )
    [field] = workflow["kickoff"]["output"]
    assert field["value"] == f"{a.public_url}, {b.public_url}"
    assert field["markdown_value"] == f"[a.txt]({a.public_url}), [b (v2).txt]({b.public_url})"


async def test_fake_rate_limit_is_waited_out_and_the_upload_sent_again() -> None:
    fake = FakePneumatic()
    now = [1000.0]
    fake.files.clock = lambda: now[0]
    fake.files.enable_rate_limit(uploads=1)
    retries: list[RetryEvent] = []

    def on_retry(event: RetryEvent) -> None:
        retries.append(event)
        now[0] += 61  # the file service's window is 60 s

    async with fake_client(fake, on_retry=on_retry) as client:
        first = await client.files.upload(b"one", filename="1.txt")
        second = await client.files.upload(b"two", filename="2.txt")
    assert [event.reason for event in retries] == ["429 rate limited"]
    assert fake.files.files[first.file_id].data == b"one"
    assert fake.files.files[second.file_id].data == b"two"


async def test_fake_500_on_upload_is_not_retried() -> None:
    fake = FakePneumatic()
    fake.faults.add("status", route="POST /files/upload", status=500, times=1)
    async with fake_client(fake) as client:
        with pytest.raises(UploadError) as caught:
            await client.files.upload(b"abc", filename="a.txt")
        assert caught.value.stage == "upload"
        assert isinstance(caught.value.cause, AmbiguousOutcomeError)
        assert fake.faults.injected["status"] == 1
        assert fake.files.files == {}
        await client.files.upload(b"abc", filename="a.txt")  # a deliberate second try works
    assert len(fake.files.files) == 1


@pytest.mark.parametrize("publish_via", ["publish", "links"])
async def test_fake_signed_url_chain_with_thumbnail(publish_via: str) -> None:
    fake = FakePneumatic(signed_url_uploads=True)
    async with fake_client(fake, upload_strategy="signed_url") as client:
        uploaded = await client.files.upload(
            b"\x89PNG...",
            filename="pic.png",
            thumbnail=b"thumb",
            publish_via=publish_via,
        )
    [attachment] = fake.files.signed.values()
    assert (attachment.data, attachment.thumbnail_data) == (b"\x89PNG...", b"thumb")
    assert attachment.content_type == "image/png"
    assert attachment.published
    assert uploaded.file_id == str(attachment.id)
    assert uploaded.public_url == fake.files.object_url(attachment.key)
    assert uploaded.thumbnail_url == fake.files.object_url(attachment.thumbnail_key or "")


async def test_fake_without_the_chain_answers_403_like_the_real_server() -> None:
    fake = FakePneumatic()  # signed_url_uploads off: today's server
    async with fake_client(fake, upload_strategy="signed_url") as client:
        with pytest.raises(UploadError, match="no attachment endpoints") as caught:
            await client.files.upload(b"abc", filename="a.txt")
    assert caught.value.stage == "create"
    assert isinstance(caught.value.cause, PermissionDeniedError)


async def test_fake_lists_attachments() -> None:
    fake = FakePneumatic()
    stored = fake.files.add_file(b"x", "x.txt")
    fake.files.register_attachment(stored.file_id)
    async with fake_client(fake) as client:
        attachments = await client.files.list_attachments().collect(max_items=10)
    assert attachments == [
        Attachment(
            id=1,
            file_id=stored.file_id,
            url=fake.files.public_url(stored.file_id),
            access_type="restricted",
            source_type="Workflow",
        )
    ]


# -- over a socket, through each transport (asyncio: the fake is served by uvicorn) -----------


def socket_transport(kind: str) -> httpx.AsyncBaseTransport:
    from pneumatic_async._http.aiohttp import AiohttpTransport

    return AiohttpTransport() if kind == "aiohttp" else httpx.AsyncHTTPTransport()


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("kind", ["aiohttp", "httpx"])
async def test_socket_upload_of_known_size_through_each_transport(
    anyio_backend: str, kind: str, tmp_path: Path
) -> None:
    fake = FakePneumatic()
    path = tmp_path / "big.bin"
    data = os.urandom(3 * MiB + 5)
    path.write_bytes(data)
    async with (
        fake.serve() as url,
        Pneumatic(
            transport=socket_transport(kind),
            base_url=url,
            api_key=fake.api_key,
            file_service_url=url + "/files",
        ) as client,
    ):
        from_path = await client.files.upload(path)
        from_stream = await client.files.upload(
            chunks(b"x" * 100_000, b"y"), filename="s.txt", size=100_001
        )
    assert fake.files.files[from_path.file_id].data == data
    assert fake.files.files[from_stream.file_id].data == b"x" * 100_000 + b"y"


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("kind", ["aiohttp", "httpx"])
async def test_socket_read_error_is_reported_as_such_by_each_transport(
    anyio_backend: str, kind: str
) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"abc" * 100_000
        raise OSError("device gone")

    fake = FakePneumatic()
    async with (
        fake.serve() as url,
        Pneumatic(
            transport=socket_transport(kind),
            base_url=url,
            api_key=fake.api_key,
            file_service_url=url + "/files",
        ) as client,
    ):
        with pytest.raises(UploadError, match="device gone") as caught:
            await client.files.upload(broken(), filename="b.txt", size=300_003)
    assert caught.value.stage == "read"
    assert fake.files.files == {}


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("kind", ["aiohttp", "httpx"])
async def test_socket_upload_of_unknown_size_is_sent_chunked(anyio_backend: str, kind: str) -> None:
    fake = FakePneumatic()
    async with (
        fake.serve() as url,
        Pneumatic(
            transport=socket_transport(kind),
            base_url=url,
            api_key=fake.api_key,
            file_service_url=url + "/files",
        ) as client,
    ):
        uploaded = await client.files.upload(chunks(b"a" * 70_000, b"b"), filename="s.txt")
    assert fake.files.files[uploaded.file_id].data == b"a" * 70_000 + b"b"
