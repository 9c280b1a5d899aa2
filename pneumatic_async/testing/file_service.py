"""The fake file service's store: files, signed attachments and its rate limit (``fake.files``).

The routes that serve it are in ``handlers/files.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote, urlsplit

__all__ = [
    "DEFAULT_FILE_SERVICE_URL",
    "DEFAULT_STORAGE_URL",
    "MAX_FILE_SIZE",
    "FakeFileService",
    "SignedAttachment",
    "SlidingWindowLimit",
    "StoredFile",
    "get_file_service",
]

#: The file service's default ``MAX_FILE_SIZE`` (bytes).
MAX_FILE_SIZE: Final = 104_857_600
DEFAULT_FILE_SERVICE_URL: Final = "http://pneumatic.test/files"
DEFAULT_STORAGE_URL: Final = "http://storage.pneumatic.test/pneumatic-files"


@dataclass
class StoredFile:
    """A file held by the fake file service."""

    file_id: str
    filename: str
    content_type: str
    data: bytes
    user_id: Any = None

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)


@dataclass
class SignedAttachment:
    """An attachment of the legacy signed-URL chain."""

    id: int
    filename: str
    content_type: str
    size: int
    key: str
    thumbnail_key: str | None
    data: bytes | None = None
    thumbnail_data: bytes | None = None
    published: bool = False


@dataclass
class SlidingWindowLimit:
    """The file service's limiter: ``max_requests`` per ``window`` seconds per client key."""

    max_requests: int
    window: float
    clock: Callable[[], float] = time.monotonic
    hits: dict[str, list[float]] = field(default_factory=dict)

    def check(self, key: str) -> bool:
        """Record a request for ``key``; False (and nothing recorded) when over the limit."""
        now = self.clock()
        recent = [t for t in self.hits.get(key, []) if t > now - self.window]
        if len(recent) >= self.max_requests:
            self.hits[key] = recent
            return False
        recent.append(now)
        self.hits[key] = recent
        return True


class FakeFileService:
    """State and settings of the fake file service (``fake.files``).

    ``clock`` drives the rate-limit windows (pass a fake clock in tests); ``seed`` makes file ids,
    signatures and attachment ids deterministic.
    """

    def __init__(
        self,
        *,
        file_service_url: str = DEFAULT_FILE_SERVICE_URL,
        storage_url: str = DEFAULT_STORAGE_URL,
        signed_url_uploads: bool = False,
        max_file_size: int = MAX_FILE_SIZE,
        seed: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.file_service_url = file_service_url.rstrip("/")
        self.storage_url = storage_url.rstrip("/")
        if not urlsplit(self.storage_url).path:
            raise ValueError("storage_url needs a path (the bucket), e.g. http://host/bucket")
        self.signed_url_uploads = signed_url_uploads
        self.max_file_size = max_file_size
        self.clock = clock
        self.upload_limit: SlidingWindowLimit | None = None
        self.download_limit: SlidingWindowLimit | None = None
        self.files: dict[str, StoredFile] = {}
        self.signed: dict[int, SignedAttachment] = {}
        self.attachment_rows: list[dict[str, Any]] = []
        self._rng = random.Random(seed)
        self._secret = self._rng.getrandbits(256).to_bytes(32, "big")

    # -- settings ------------------------------------------------------------------------------

    def enable_rate_limit(
        self, uploads: int = 10, downloads: int = 100, window: float = 60.0
    ) -> None:
        """Turn on the real service's per-client limits (10 uploads, 100 downloads per 60 s)."""
        self.upload_limit = SlidingWindowLimit(uploads, window, self.clock)
        self.download_limit = SlidingWindowLimit(downloads, window, self.clock)

    def disable_rate_limit(self) -> None:
        """Turn the rate limits off again (the default)."""
        self.upload_limit = self.download_limit = None

    # -- files ---------------------------------------------------------------------------------

    @property
    def path(self) -> str:
        """The URL path the file service is served at (e.g. ``/files``)."""
        return urlsplit(self.file_service_url).path.rstrip("/")

    def public_url(self, file_id: str) -> str:
        """``<file_service_url>/<file_id>``."""
        return f"{self.file_service_url}/{file_id}"

    def new_file_id(self) -> str:
        """A deterministic uuid4 string, like the service's ``str(uuid4())``."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def add_file(
        self,
        data: bytes,
        filename: str = "file.bin",
        content_type: str = "application/octet-stream",
        *,
        user_id: Any = None,
    ) -> StoredFile:
        """Store a file directly (for seeding tests); returns it."""
        stored = StoredFile(self.new_file_id(), filename, content_type, data, user_id)
        self.files[stored.file_id] = stored
        return stored

    def register_attachment(
        self, file_id: str, *, source_type: str = "Workflow", access_type: str = "restricted"
    ) -> dict[str, Any]:
        """Record an attachment row (what the backend creates when a value links a file)."""
        row = {
            "id": len(self.attachment_rows) + 1,
            "file_id": file_id,
            "url": self.public_url(file_id),
            "access_type": access_type,
            "source_type": source_type,
        }
        self.attachment_rows.append(row)
        return row

    # -- signed URLs ---------------------------------------------------------------------------

    def sign(self, key: str, content_type: str) -> str:
        """The signed upload URL for an object key."""
        signature = self._signature(key, content_type)
        return f"{self.storage_url}/{quote(key)}?expires=4102444800&signature={signature}"

    def _signature(self, key: str, content_type: str) -> str:
        message = f"PUT\n{content_type}\n{key}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def check_signature(self, key: str, content_type: str, signature: str) -> bool:
        """Whether ``signature`` signs a PUT of ``key`` with this content type."""
        return hmac.compare_digest(self._signature(key, content_type), signature)

    def create_signed(
        self, filename: str, content_type: str, size: int, thumbnail: bool
    ) -> SignedAttachment:
        """Start the legacy chain: a new attachment with object keys for file and thumbnail."""
        prefix = self.new_file_id()
        attachment = SignedAttachment(
            id=len(self.signed) + 1,
            filename=filename,
            content_type=content_type,
            size=size,
            key=f"{prefix}/{filename}",
            thumbnail_key=f"{prefix}/thumb_{filename}" if thumbnail else None,
        )
        self.signed[attachment.id] = attachment
        return attachment

    def object_url(self, key: str) -> str:
        """The public (unsigned) URL of a stored object."""
        return f"{self.storage_url}/{quote(key)}"


def get_file_service(fake: Any) -> FakeFileService:
    """``fake.files``, created from the fake's settings (and attached to it) on first use."""
    files = getattr(fake, "files", None)
    if not isinstance(files, FakeFileService):
        files = FakeFileService(
            file_service_url=getattr(fake, "file_service_url", DEFAULT_FILE_SERVICE_URL),
            signed_url_uploads=bool(getattr(fake, "signed_url_uploads", False)),
        )
        fake.files = files
    return files
