"""The CLI's pure pieces: ``key=value`` parsing and conversion, table cells, JSON output."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pneumatic_async import Pneumatic
from pneumatic_async.cli.assignments import (
    Assignment,
    convert_text,
    load_json_object,
    parse_assignments,
    resolve_values,
)
from pneumatic_async.cli.errors import InputError
from pneumatic_async.cli.output import Output, cell, dumps, one_line
from pneumatic_async.cli.sandbox import build_sandbox, sandbox_client
from pneumatic_async.models.common import TaskStatus
from pneumatic_async.models.files import UploadedFile
from pneumatic_async.values import FieldSpec, Selection


def spec(field_type: str, api_name: str = "f", *choices: str) -> FieldSpec:
    return FieldSpec(
        api_name=api_name,
        name=api_name.title(),
        type=field_type,
        is_required=False,
        selections=tuple(Selection(value=c) for c in choices),
    )


# -- key=value ---------------------------------------------------------------------------------


def test_parse_assignments_forms() -> None:
    assert parse_assignments(["a=1", "b:=[1, 2]", "c=@x.pdf", "d=", "e=x=y", " f =@"]) == [
        Assignment("a", "text", "1"),
        Assignment("b", "json", [1, 2]),
        Assignment("c", "file", "x.pdf"),
        Assignment("d", "text", ""),
        Assignment("e", "text", "x=y"),
        Assignment("f", "text", "@"),  # a lone "@" is text
    ]


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("novalue", "expected key=value, got 'novalue'"),
        ("x:=nope", "the value after ':=' is not JSON"),
        ("=1", "the field api_name before '=' is empty"),
        (":=1", "the field api_name before '=' is empty"),
    ],
)
def test_parse_assignments_errors(token: str, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(")) as info:
        parse_assignments([token])
    assert info.value.exit_code == 2


@pytest.mark.parametrize(
    ("field_type", "text", "expected"),
    [
        ("checkbox", "CRM; Billing ;", ["CRM", "Billing"]),
        ("checkbox", '["CRM", "Billing"]', ["CRM", "Billing"]),
        ("checkbox", "[oops", "[oops"),  # left for the encoder to report
        ("date", "2026-12-01", date(2026, 12, 1)),
        ("date", "2026-12-01T10:00:00Z", datetime(2026, 12, 1, 10, tzinfo=UTC)),
        ("date", "1798761600", "1798761600"),
        ("date", "next week", "next week"),
        ("user", "12", 12),
        ("user", "max@example.com", "max@example.com"),
        ("file", "[a](https://x/a)", ["[a](https://x/a)"]),
        ("number", "1500", "1500"),
        ("string", "  spaced  ", "  spaced  "),
    ],
)
def test_convert_text_by_field_type(field_type: str, text: str, expected: object) -> None:
    assert convert_text(spec(field_type), text) == expected


def test_convert_text_of_an_unknown_field_is_kept() -> None:
    assert convert_text(None, "x") == "x"


def test_load_json_object(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    path.write_text('\ufeff{"a": 1}', encoding="utf-8")
    assert load_json_object(str(path)) == {"a": 1}
    path.write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="not JSON"):
        load_json_object(str(path))


async def test_resolve_values_uploads_files_and_layers_values(tmp_path: Path) -> None:
    fake = build_sandbox()
    first = tmp_path / "a.pdf"
    first.write_bytes(b"one")
    second = tmp_path / "b.pdf"
    second.write_bytes(b"two")
    specs = [spec("file", "docs"), spec("checkbox", "mods", "A", "B"), spec("string", "s")]
    async with sandbox_client(fake) as client:
        values = await resolve_values(
            client,
            parse_assignments([f"docs=@{first}", "mods=A;B", f"docs=@{second}", 's:="x"']),
            specs,
            base={"s": "from file", "other": 1},
        )
    assert values["mods"] == ["A", "B"]
    assert values["s"] == "x"
    assert values["other"] == 1
    files = values["docs"]
    assert [f.filename for f in files] == ["a.pdf", "b.pdf"]
    assert all(isinstance(f, UploadedFile) for f in files)
    assert sorted(fake.files.files) == sorted(f.file_id for f in files)


async def test_resolve_values_refuses_at_for_other_fields(tmp_path: Path) -> None:
    fake = build_sandbox()
    async with sandbox_client(fake) as client:
        with pytest.raises(InputError, match="'s' is a string field"):
            await resolve_values(client, [Assignment("s", "file", "x")], [spec("string", "s")])
        with pytest.raises(InputError, match="'nope' is not a field"):
            await resolve_values(client, [Assignment("nope", "file", "x")], [])
        with pytest.raises(InputError, match="no such file"):
            await resolve_values(
                client, [Assignment("d", "file", str(tmp_path / "none"))], [spec("file", "d")]
            )


# -- output ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "-"),
        ("", "-"),
        (True, "yes"),
        (False, "no"),
        (TaskStatus.ACTIVE, "active"),
        (datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "2026-01-02 03:04 UTC"),
        (["a", 1, None], "a, 1, -"),
        ([], "-"),
        (0, "0"),
    ],
)
def test_cell(value: object, text: str) -> None:
    assert cell(value) == text


def test_one_line() -> None:
    assert one_line("a\n  b\tc ") == "a b c"


def test_dumps_uses_the_sdk_converter() -> None:
    uploaded = UploadedFile(file_id="f1", public_url="https://x/f1", filename="a.pdf")
    data = json.loads(
        dumps({"file": uploaded, "when": datetime(2026, 1, 1, tzinfo=UTC), "n": Decimal("1.5")})
    )
    assert data == {
        "file": {
            "file_id": "f1",
            "public_url": "https://x/f1",
            "filename": "a.pdf",
            "thumbnail_url": None,
        },
        "when": 1767225600.0,
        "n": "1.5",
    }


def test_output_writes_to_the_given_streams() -> None:
    out, err = io.StringIO(), io.StringIO()
    output = Output(stdout=out, stderr=err)
    output.table(["id", "name"], [(1, "[bold]not markup[/bold]")], title="T")
    output.error("bad\nthing")
    assert "[bold]not markup[/bold]" in out.getvalue()  # text is never read as markup
    assert err.getvalue() == "pneumatic: error: bad thing\n"
    output.table(["id"], [], empty="nothing here")
    assert "nothing here" in out.getvalue()


def test_output_json_mode() -> None:
    out = io.StringIO()
    Output(json_mode=True, stdout=out).json([{"a": 1}])
    assert json.loads(out.getvalue()) == [{"a": 1}]


def test_sandbox_client_talks_to_the_fake() -> None:
    fake = build_sandbox()
    client = sandbox_client(fake)
    try:
        assert isinstance(client, Pneumatic)
        assert client.base_url == fake.base_url
        assert client.file_service_url == fake.file_service_url
    finally:
        import anyio

        anyio.run(client.aclose)
