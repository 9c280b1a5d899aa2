"""Files: the file service's upload answer, ``GET /attachments`` items, and the documented (now
removed from the real server) signed-URL attachment chain."""

import enum

import attrs

__all__ = [
    "AccessType",
    "Attachment",
    "AttachmentUpload",
    "PublishedAttachment",
    "SourceType",
    "UploadedFile",
]

_LINK_TEXT = str.maketrans({"[": "(", "]": ")", "\n": " ", "\r": " "})


@attrs.frozen(kw_only=True)
class UploadedFile:
    """``POST <file service>/upload``: the new file's id and URL.

    ``client.files.upload`` also fills in ``filename`` (the name it sent; the server answers
    only ``file_id`` and ``public_url``) and, for the signed-URL chain, ``thumbnail_url``.
    """

    file_id: str
    public_url: str
    filename: str | None = None
    thumbnail_url: str | None = None

    def markdown_link(self, name: str | None = None) -> str:
        """The ``[name](public_url)`` link a ``file`` field value (a list of these) takes.

        ``name`` defaults to :attr:`filename` (else the ``file_id``). Square brackets and line
        breaks in it would end the link text early; they are replaced by parentheses and spaces.
        """
        text = name or self.filename or self.file_id
        return f"[{text.translate(_LINK_TEXT)}]({self.public_url})"


class AccessType(enum.StrEnum):
    """Who may download an attachment."""

    PUBLIC = "public"
    ACCOUNT = "account"
    RESTRICTED = "restricted"


class SourceType(enum.StrEnum):
    """What an attachment belongs to."""

    ACCOUNT = "Account"
    WORKFLOW = "Workflow"
    TASK = "Task"
    TEMPLATE = "Template"


@attrs.frozen(kw_only=True)
class Attachment:
    """An item of ``GET /attachments``: a file linked from the account's workflows/templates."""

    id: int
    file_id: str
    url: str | None = None
    access_type: AccessType | str | None = None
    source_type: SourceType | str | None = None


@attrs.frozen(kw_only=True)
class AttachmentUpload:
    """``POST /workflows/attachments`` (docs 000/001): an id and signed URLs to ``PUT`` bytes to."""

    id: int
    file_upload_url: str
    thumbnail_upload_url: str | None = None


@attrs.frozen(kw_only=True)
class PublishedAttachment:
    """``POST /workflows/attachments/<id>/publish`` (or the 001 ``/links``): the file's URLs."""

    url: str
    thumbnail_url: str | None = None
    id: int | None = None
    name: str | None = None
    size: int | None = None
