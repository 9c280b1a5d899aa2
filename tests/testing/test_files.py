"""Fake file service, ``/attachments`` and the legacy signed-URL upload chain."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import IO, Any, cast
from urllib.parse import urlsplit

import pytest

from pneumatic_async._http import httpx
from pneumatic_async.testing import FakePneumatic
from pneumatic_async.testing._multipart import (
    MultipartError,
    boundary_from_content_type,
    iter_parts,
)
from pneumatic_async.testing.file_service import (
    MAX_FILE_SIZE,
    FakeFileService,
    get_file_service,
)
from tests.captures import capture

pytestmark = pytest.mark.anyio

HTML_404 = "<h1>Not Found</h1><p>The requested resource was not found on this server.</p>"


class ZeroFile(io.RawIOBase):
    """A readable file of ``size`` zero bytes that never exists in memory at once."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = base + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: Any) -> int:
        count = max(0, min(len(buffer), self.size - self.position))
        buffer[:count] = bytes(count)
        self.position += count
        return count


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> FakePneumatic:
    return FakePneumatic()


def client_for(fake: FakePneumatic, *, auth: bool = True) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {fake.api_key}"} if auth else {}
    return httpx.AsyncClient(transport=fake.transport(), base_url=fake.base_url, headers=headers)


@pytest.fixture
async def http(fake: FakePneumatic) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(fake) as client:
        yield client


def files_of(fake: FakePneumatic) -> FakeFileService:
    return get_file_service(fake)


def upload_url(fake: FakePneumatic) -> str:
    return f"{files_of(fake).file_service_url}/upload"


# -- file service --------------------------------------------------------------------------------


async def test_upload_then_download(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    content = "héllo wörld\n".encode() * 1000
    response = await http.post(
        upload_url(fake), files={"file": ("report 1.txt", content, "text/plain")}
    )
    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"public_url", "file_id"}
    assert data["public_url"] == f"{files_of(fake).file_service_url}/{data['file_id']}"
    stored = files_of(fake).files[data["file_id"]]
    assert (stored.filename, stored.content_type, stored.data) == (
        "report 1.txt",
        "text/plain",
        content,
    )

    download = await http.get(data["public_url"])
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"].startswith("text/plain")
    assert download.headers["content-disposition"] == "attachment; filename*=utf-8''report%201.txt"
    assert download.headers["accept-ranges"] == "bytes"

    partial = await http.get(data["public_url"], headers={"Range": "bytes=2-5"})
    assert partial.status_code == 206
    assert partial.content == content[2:6]
    assert partial.headers["content-range"] == f"bytes 2-5/{len(content)}"


async def test_upload_ignores_other_form_fields(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    response = await http.post(
        upload_url(fake),
        data={"note": "x" * 100_000},
        files={"file": ("a.bin", b"\x00\r\n--\x01" * 5000, "application/octet-stream")},
    )
    assert response.status_code == 200
    assert files_of(fake).files[response.json()["file_id"]].data == b"\x00\r\n--\x01" * 5000


async def test_file_ids_are_deterministic() -> None:
    async def first_id() -> str:
        fake = FakePneumatic()
        async with client_for(fake) as http:
            response = await http.post(upload_url(fake), files={"file": ("a", b"a")})
        return str(response.json()["file_id"])

    assert await first_id() == await first_id()


async def test_upload_needs_the_api_key(fake: FakePneumatic) -> None:
    async with client_for(fake, auth=False) as anonymous:
        response = await anonymous.post(upload_url(fake), files={"file": ("a", b"a")})
        assert response.status_code == 401
        assert response.json() == {"code": "AUTH_001", "message": "Authentication failed"}
        anonymous.cookies.set("file_service_auth", fake.api_key)
        with_cookie = await anonymous.post(upload_url(fake), files={"file": ("a", b"a")})
        assert with_cookie.status_code == 200
    assert files_of(fake).files


async def test_upload_without_a_file_part_is_422(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    response = await http.post(upload_url(fake), data={"other": "x"}, files={"nope": ("a", b"a")})
    assert response.status_code == 422
    assert response.json()["code"] == "VAL_002"
    assert response.json()["message"] == "Missing required field"
    not_multipart = await http.post(upload_url(fake), json={"file": "x"})
    assert not_multipart.status_code == 422
    assert not files_of(fake).files


async def test_size_limit_boundary(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    files_of(fake).max_file_size = 1000
    ok = await http.post(upload_url(fake), files={"file": ("a", b"x" * 1000)})
    assert ok.status_code == 200
    too_big = await http.post(upload_url(fake), files={"file": ("a", b"x" * 1001)})
    assert too_big.status_code == 413
    assert too_big.json() == {
        "code": "FILE_003",
        "message": "File size 1001 bytes exceeds limit 1000 bytes",
    }
    assert len(files_of(fake).files) == 1


async def test_the_real_100_mib_limit_streams(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    assert files_of(fake).max_file_size == MAX_FILE_SIZE == 100 * 1024 * 1024
    response = await http.post(
        upload_url(fake),
        files={"file": ("big.bin", cast("IO[bytes]", ZeroFile(MAX_FILE_SIZE + 1)))},
    )
    assert response.status_code == 413
    assert response.json()["message"] == (
        f"File size {MAX_FILE_SIZE + 1} bytes exceeds limit {MAX_FILE_SIZE} bytes"
    )
    assert not files_of(fake).files


async def test_rate_limit_is_off_by_default(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    for _ in range(15):
        response = await http.post(upload_url(fake), files={"file": ("a", b"a")})
        assert response.status_code == 200


async def test_rate_limit_when_enabled(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    clock = Clock()
    service = files_of(fake)
    service.clock = clock
    service.enable_rate_limit()
    statuses = []
    for _ in range(11):
        response = await http.post(upload_url(fake), files={"file": ("a", b"a")})
        statuses.append(response.status_code)
        clock.now += 1
    assert statuses == [200] * 10 + [429]
    assert response.json() == {"detail": "Rate limit exceeded", "retry_after": 60}
    assert response.headers["retry-after"] == "60"

    other_client = await http.post(
        upload_url(fake), files={"file": ("a", b"a")}, headers={"X-Real-IP": "10.0.0.9"}
    )
    assert other_client.status_code == 200

    clock.now = 1060.5  # uploads were at t=1000..1009: only the first has left the window
    assert (await http.post(upload_url(fake), files={"file": ("a", b"a")})).status_code == 200
    assert (await http.post(upload_url(fake), files={"file": ("a", b"a")})).status_code == 429
    service.disable_rate_limit()
    assert (await http.post(upload_url(fake), files={"file": ("a", b"a")})).status_code == 200


async def test_download_of_an_unknown_file_is_404(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    response = await http.get(f"{files_of(fake).file_service_url}/nope")
    assert response.status_code == 404
    assert response.json() == {"code": "FILE_001", "message": "File with ID 'nope' not found"}


# -- GET /attachments ----------------------------------------------------------------------------


async def test_attachments_list_is_an_empty_envelope(http: httpx.AsyncClient) -> None:
    response = await http.get("/attachments")
    assert response.status_code == 200
    assert response.json() == capture("128_attachments_list")["response"]["body"]


async def test_attachments_list_pages(http: httpx.AsyncClient, fake: FakePneumatic) -> None:
    service = files_of(fake)
    for _ in range(20):
        service.register_attachment(service.add_file(b"x").file_id)
    first = (await http.get("/attachments")).json()
    assert first["count"] == 20
    assert len(first["results"]) == 15
    assert first["previous"] is None
    assert urlsplit(first["next"]).query == "limit=15&offset=15"
    item = first["results"][0]
    assert set(item) == {"id", "file_id", "url", "access_type", "source_type"}
    assert item["url"] == service.public_url(item["file_id"])

    page = (await http.get("/attachments", params={"limit": 5, "offset": 5})).json()
    assert [r["id"] for r in page["results"]] == [6, 7, 8, 9, 10]
    assert urlsplit(page["previous"]).query == "limit=5"
    assert urlsplit(page["next"]).query == "limit=5&offset=10"

    cases: list[tuple[dict[str, Any], str]] = [
        ({"limit": "abc"}, "A valid integer is required."),
        ({"limit": 1001}, "Ensure this value is less than or equal to 1000."),
        ({"offset": -1}, "Ensure this value is greater than or equal to 0."),
    ]
    for params, reason in cases:
        bad = await http.get("/attachments", params=params)
        assert bad.status_code == 400
        assert bad.json()["details"]["reason"] == reason


# -- the legacy signed-URL chain -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "129_workflows_attachments_POST",
        "130_workflows_attachments_1_publish",
        "131_workflows_attachments_links",
        "132_attachments_POST",
    ],
)
async def test_chain_is_gone_by_default(http: httpx.AsyncClient, name: str) -> None:
    real = capture(name)
    request = real["request"]
    response = await http.request(
        request["method"], urlsplit(request["url"]).path, json=request["json"]
    )
    assert response.status_code == real["response"]["status"]
    if real["response"]["body_kind"] == "json":
        assert response.json() == real["response"]["body"]
    else:
        assert response.text == real["response"]["body"] == HTML_404


async def test_links_with_an_id_is_html_404_when_off(http: httpx.AsyncClient) -> None:
    response = await http.post("/workflows/attachments/1/links")
    assert response.status_code == 404
    assert response.text == HTML_404


@pytest.fixture
def signed_fake() -> FakePneumatic:
    return FakePneumatic(signed_url_uploads=True)


@pytest.fixture
async def signed_http(signed_fake: FakePneumatic) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(signed_fake) as client:
        yield client


async def create(http: httpx.AsyncClient, **extra: Any) -> dict[str, Any]:
    body = {"filename": "pic.png", "content_type": "image/png", "size": 5, **extra}
    response = await http.post("/workflows/attachments", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def put(
    http: httpx.AsyncClient, url: str, content: bytes, content_type: str = "image/png"
) -> httpx.Response:
    """PUT to a signed URL with no Authorization header (a fresh request, not the API client's)."""
    request = httpx.Request("PUT", url, content=content, headers={"Content-Type": content_type})
    return await http.send(request)


async def test_signed_chain_publish(
    signed_http: httpx.AsyncClient, signed_fake: FakePneumatic
) -> None:
    created = await create(signed_http, thumbnail=True)
    assert set(created) == {"id", "file_upload_url", "thumbnail_upload_url"}
    upload = urlsplit(created["file_upload_url"])
    assert upload.netloc == "storage.pneumatic.test"
    assert "signature=" in upload.query
    assert created["thumbnail_upload_url"] != created["file_upload_url"]

    stored = await put(signed_http, created["file_upload_url"], b"\x89PNG!")
    assert stored.status_code == 200
    thumb = await put(signed_http, created["thumbnail_upload_url"], b"tiny")
    assert thumb.status_code == 200

    published = await signed_http.post(f"/workflows/attachments/{created['id']}/publish")
    assert published.status_code == 200
    urls = published.json()
    assert set(urls) == {"url", "thumbnail_url"}
    assert urlsplit(urls["url"]).netloc == "storage.pneumatic.test"
    assert "signature" not in urls["url"]
    assert (await signed_http.get(urls["url"])).content == b"\x89PNG!"
    assert (await signed_http.get(urls["thumbnail_url"])).content == b"tiny"


async def test_signed_chain_links_variant(signed_http: httpx.AsyncClient) -> None:
    created = await create(signed_http)
    assert created["thumbnail_upload_url"] is None
    assert (await put(signed_http, created["file_upload_url"], b"12345")).status_code == 200
    links = await signed_http.post(f"/workflows/attachments/{created['id']}/links")
    assert links.status_code == 200
    body = links.json()
    assert (body["id"], body["name"], body["size"], body["thumbnail_url"]) == (
        created["id"],
        "pic.png",
        5,
        None,
    )
    assert (await signed_http.get(body["url"])).content == b"12345"


async def test_put_with_authorization_is_rejected(signed_http: httpx.AsyncClient) -> None:
    created = await create(signed_http)
    response = await signed_http.put(
        created["file_upload_url"], content=b"12345", headers={"Content-Type": "image/png"}
    )  # the API client adds its Bearer header: the mistake the SDK must not make
    assert response.status_code == 400
    assert "Authorization" in response.text
    not_uploaded = await signed_http.post(f"/workflows/attachments/{created['id']}/publish")
    assert not_uploaded.status_code == 400


async def test_put_with_a_bad_signature_or_content_type_is_403(
    signed_http: httpx.AsyncClient,
) -> None:
    created = await create(signed_http)
    url = created["file_upload_url"]
    wrong_type = await put(signed_http, url, b"12345", "text/plain")
    assert wrong_type.status_code == 403
    assert "SignatureDoesNotMatch" in wrong_type.text
    tampered = url.replace("signature=", "signature=0")
    assert (await put(signed_http, tampered, b"1")).status_code == 403


async def test_unpublished_objects_are_private(signed_http: httpx.AsyncClient) -> None:
    created = await create(signed_http)
    await put(signed_http, created["file_upload_url"], b"12345")
    public_url = created["file_upload_url"].split("?", 1)[0]
    assert (await signed_http.get(public_url)).status_code == 403


@pytest.mark.parametrize(
    ("body", "name"),
    [
        ({"content_type": "image/png", "size": 1}, "filename"),
        ({"filename": "a", "size": 1}, "content_type"),
        ({"filename": "a", "content_type": "image/png"}, "size"),
        ({"filename": "a", "content_type": "image/png", "size": "big"}, "size"),
        ({"filename": "a", "content_type": "image/png", "size": MAX_FILE_SIZE}, "size"),
    ],
)
async def test_create_validates_the_body(
    signed_http: httpx.AsyncClient, body: dict[str, Any], name: str
) -> None:
    response = await signed_http.post("/workflows/attachments", json=body)
    assert response.status_code == 400
    assert response.json()["details"]["name"] == name


async def test_unknown_attachment_is_404(signed_http: httpx.AsyncClient) -> None:
    response = await signed_http.post("/workflows/attachments/99/publish")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


async def test_switch_can_be_flipped_on_a_running_fake(
    http: httpx.AsyncClient, fake: FakePneumatic
) -> None:
    assert (await http.post("/workflows/attachments", json={})).status_code == 403
    files_of(fake).signed_url_uploads = True
    await create(http)


# -- the streaming multipart reader ----------------------------------------------------------------


async def _parts(body: bytes, boundary: bytes, chunk: int) -> list[tuple[str | None, bytes]]:
    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(body), chunk):
            yield body[start : start + chunk]

    found = []
    async with aclosing(iter_parts(stream(), boundary)) as parts:
        async for part in parts:
            found.append((part.name, b"".join([c async for c in part.chunks()])))
    return found


@pytest.mark.parametrize("chunk", [1, 2, 7, 64, 10_000])
async def test_multipart_reader_survives_any_chunking(chunk: int) -> None:
    payload = b"line\r\n--notquite\r\n--XY\r\n-\r\n--X" * 3
    body = (
        b"preamble\r\n--XYZ\r\n"
        b'Content-Disposition: form-data; name="a"\r\n\r\nvalue\r\n'
        b"--XYZ\r\n"
        b'Content-Disposition: form-data; name="file"; filename="f.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + payload + b"\r\n"
        b"--XYZ--\r\nepilogue"
    )
    assert await _parts(body, b"XYZ", chunk) == [("a", b"value"), ("file", payload)]


def test_boundary_from_content_type() -> None:
    assert boundary_from_content_type('multipart/form-data; boundary="a b"') == b"a b"
    assert boundary_from_content_type("multipart/form-data; boundary=xyz") == b"xyz"
    assert boundary_from_content_type("multipart/form-data") is None
    assert boundary_from_content_type("application/json") is None
    assert boundary_from_content_type(None) is None


async def test_truncated_multipart_is_an_error() -> None:
    with pytest.raises(MultipartError):
        await _parts(b"--XYZ\r\nContent-Disposition: form-data; name=a\r\n\r\nno end", b"XYZ", 4)
