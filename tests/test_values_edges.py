"""Value encoding at its edges: non-finite numbers, epoch strings, IPv6 hosts, exact messages."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import pytest

from pneumatic_async.errors import FieldProblem, InvalidValuesError
from pneumatic_async.models.files import UploadedFile
from pneumatic_async.models.templates import Selection
from pneumatic_async.values import (
    STRING_MAX_LENGTH,
    FieldSpec,
    SpecIndex,
    encode_values,
    epoch_seconds,
    user_ids_in,
)
from pneumatic_async.values import is_valid_url as url_ok


def spec(kind: str, *, required: bool = False, **kwargs: Any) -> FieldSpec:
    return FieldSpec(api_name="f", name="Field", type=kind, is_required=required, **kwargs)


def encode(field: FieldSpec, value: Any) -> Any:
    return encode_values([field], {field.api_name: value}, check_required=False)[field.api_name]


def problem(field: FieldSpec, value: Any) -> str:
    with pytest.raises(InvalidValuesError) as caught:
        encode(field, value)
    [only] = caught.value.problems
    assert only.field == field.api_name
    return only.message


CHOICES = spec(
    "dropdown",
    selections=(
        Selection(value="Gold", api_name="sel-gold"),
        Selection(value="Silver", api_name="sel-silver"),
    ),
)


# --------------------------------------------------------------------------------------------
# Numbers: non-finite values are refused in every form (the server's Decimal() would take them)


@pytest.mark.parametrize(
    "value",
    [
        "NaN",
        "nan",
        " NaN ",
        "sNaN",
        "Infinity",
        "-Infinity",
        "inf",
        "-inf",
        float("nan"),
        float("inf"),
        float("-inf"),
        Decimal("NaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
    ],
)
def test_non_finite_numbers_are_refused(value: Any) -> None:
    assert "finite" in problem(spec("number"), value)


def test_number_messages_name_the_value() -> None:
    assert problem(spec("number"), "NaN") == '"NaN" is not a finite number'
    assert problem(spec("number"), "twelve") == '"twelve" is not a number'
    assert problem(spec("number"), float("inf")) == "expected a finite number, got inf"
    assert problem(spec("number"), Decimal("NaN")) == "expected a finite number, got Decimal NaN"
    assert problem(spec("number"), True) == "expected a number, got bool True"
    assert problem(spec("number"), [1]) == "expected a number, got list"


@pytest.mark.parametrize(
    ("value", "sent"),
    [(5, 5), (-2.5, -2.5), (Decimal("1.10"), "1.10"), (" 42 ", "42"), ("1e3", "1e3")],
)
def test_numbers_sent(value: Any, sent: Any) -> None:
    result = encode(spec("number"), value)
    assert result == sent
    assert type(result) is type(sent)


# --------------------------------------------------------------------------------------------
# Dates


@pytest.mark.parametrize(
    ("value", "sent"),
    [
        ("1700000000.5", 1700000000.5),
        (" 1700000000 ", 1700000000),
        ("1700000000.0", 1700000000),
        (1700000000.25, 1700000000.25),
        (datetime(2023, 11, 14, 22, 13, 20), 1700000000),  # naive = UTC
        (datetime(2023, 11, 15, 0, 13, 20, tzinfo=timezone(timedelta(hours=2))), 1700000000),
        (date(2023, 11, 14), 1699920000),  # midnight UTC
    ],
)
def test_dates_sent_as_epoch_seconds(value: Any, sent: float) -> None:
    result = encode(spec("date"), value)
    assert result == sent
    assert type(result) is type(sent)


def test_date_messages() -> None:
    assert problem(spec("date"), "14/11/2023") == (
        '"14/11/2023" is not a date: pass a datetime, a date or epoch seconds '
        "(the server takes epoch seconds only)"
    )
    assert problem(spec("date"), True) == (
        "expected a datetime, a date or epoch seconds, got bool True"
    )
    assert "finite" in problem(spec("date"), "nan")
    assert "out of range" in problem(spec("date"), 1e300)


def test_epoch_seconds_helper() -> None:
    assert epoch_seconds(datetime(1970, 1, 1, 0, 1)) == 60
    assert epoch_seconds(date(1970, 1, 2)) == 86400
    assert epoch_seconds(7) == 7
    assert epoch_seconds(7.5) == 7.5
    assert type(epoch_seconds(7.0)) is int
    with pytest.raises(TypeError) as caught:
        epoch_seconds("7")  # type: ignore[arg-type]
    assert str(caught.value) == ('expected a datetime, a date or epoch seconds, got the string "7"')
    with pytest.raises(ValueError, match="finite"):
        epoch_seconds(float("nan"))
    with pytest.raises(ValueError, match="out of range"):
        epoch_seconds(1e20)


def test_epoch_seconds_does_not_depend_on_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX only")
    monkeypatch.setenv("TZ", "Asia/Kathmandu")  # UTC+5:45
    time.tzset()
    try:
        assert epoch_seconds(datetime(2023, 11, 14, 22, 13, 20)) == 1700000000
        assert epoch_seconds(date(2023, 11, 14)) == 1699920000
        # a negative epoch close to the start of the range is still accepted
        assert epoch_seconds(-86400) == -86400
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


# --------------------------------------------------------------------------------------------
# URLs


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("http://[::1]/x", True),
        ("http://[2001:db8::1]:8080/path", True),
        ("[2001:db8::1]/path", True),
        ("http://[1:2:3]/x", False),  # looks like IPv6, is not an address
        ("http://[::g]/x", False),
        ("http://[1::2::3]/", False),
        ("http://[::1/x", False),  # unbalanced bracket
        ("https://bücher.example/katalog", True),  # IDN
        ("https://xn--bcher-kva.example/", True),
        ("https://" + "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com", True),
        ("https://" + "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com", False),
        ("not a url", False),
        ("ftp://example.com/file", True),
        ("gopher://example.com/", False),
    ],
)
def test_url_hosts(value: str, accepted: bool) -> None:
    assert url_ok(value) is accepted


def test_url_messages() -> None:
    assert problem(spec("url"), "http://[1:2:3]/x") == (
        '"http://[1:2:3]/x" is not a valid URL (e.g. https://example.com/page)'
    )
    assert problem(spec("url"), 5) == "expected a URL string, got int 5"


# --------------------------------------------------------------------------------------------
# Messages: quoting, shortening, listings


def test_long_values_are_shortened_to_60_characters_in_messages() -> None:
    exactly = "x" * 60
    assert problem(CHOICES, exactly).startswith(f'"{exactly}" is not one of')
    longer = "y" * 61
    assert problem(CHOICES, longer).startswith('"' + "y" * 59 + '…" is not one of')


def test_quotes_and_backslashes_are_escaped_in_messages() -> None:
    message = problem(CHOICES, 'a"b\\c')
    assert message.startswith('"a\\"b\\\\c" is not one of "Gold", "Silver"')


def test_choice_listing_shows_ten_and_counts_the_rest() -> None:
    ten = spec("radio", selections=tuple(Selection(value=f"v{i}") for i in range(10)))
    listed = ", ".join(f'"v{i}"' for i in range(10))
    assert problem(ten, "zz") == f'"zz" is not one of {listed}'
    twelve = spec("radio", selections=tuple(Selection(value=f"v{i}") for i in range(12)))
    assert problem(twelve, "zz") == f'"zz" is not one of {listed} and 2 more'


def test_choice_suggestions() -> None:
    assert (
        problem(CHOICES, " gold ")
        == '" gold " is not one of "Gold", "Silver"; did you mean "Gold"?'
    )
    assert (
        problem(CHOICES, "Silvr")
        == '"Silvr" is not one of "Gold", "Silver"; did you mean "Silver"?'
    )
    assert problem(CHOICES, "Bronze") == '"Bronze" is not one of "Gold", "Silver"'
    assert encode(CHOICES, "sel-silver") == "Silver"
    assert problem(CHOICES, 3) == 'expected one of "Gold", "Silver", got int 3'
    assert problem(spec("radio"), None if False else 3) == (
        "expected a selection's value text, got int 3"
    )


def test_checkbox_lists_every_bad_choice() -> None:
    box = spec("checkbox", selections=CHOICES.selections)
    assert problem(box, ["Gold", "Tin", "Lead"]) == (
        '"Tin" is not one of "Gold", "Silver"; "Lead" is not one of "Gold", "Silver"'
    )
    assert problem(box, "Gold") == 'expected a list of choices, got a string: write ["Gold"]'
    assert encode(box, ("Gold", "sel-silver")) == ["Gold", "Silver"]


def test_kind_names_in_messages() -> None:
    assert problem(spec("string"), None if False else 1.5) == "expected a string, got float 1.5"
    assert problem(spec("string"), Decimal("2")) == "expected a string, got Decimal 2"
    assert problem(spec("string"), {"a": 1}) == "expected a string, got dict"
    assert problem(spec("user"), 1.5) == (
        "expected a user's email, a group name or a user id, got float 1.5"
    )


def test_string_length_limit_edge() -> None:
    assert encode(spec("string"), "s" * STRING_MAX_LENGTH) == "s" * STRING_MAX_LENGTH
    assert problem(spec("string"), "s" * (STRING_MAX_LENGTH + 1)) == (
        "is 141 characters long; a string field takes at most 140 (a text field has no limit)"
    )
    assert encode(spec("text"), "t" * 1000) == "t" * 1000


def test_required_empty_values_are_named() -> None:
    required = spec("string", required=True)
    assert problem(required, None) == "is required: an empty value (None) is not allowed"
    assert problem(required, "") == "is required: an empty value ('') is not allowed"
    assert problem(required, []) == "is required: an empty value ([]) is not allowed"
    assert encode(spec("checkbox"), ()) == []
    assert encode(spec("string"), None) is None


def test_file_messages() -> None:
    uploaded = UploadedFile(file_id="f1", public_url="https://files.test/f1", filename="a.pdf")
    assert problem(spec("file"), uploaded) == "expected a list of files: wrap the file in a list"
    assert problem(spec("file"), "[a](https://x)") == (
        "expected a list of files: wrap the file in a list"
    )
    assert problem(spec("file"), 5) == "expected a list of files, got int 5"
    assert problem(spec("file"), ["a.pdf"]) == (
        '"a.pdf" is not a Markdown link: write "[name](<file\'s public_url>)" or '
        "pass the UploadedFile that client.files.upload() returns"
    )
    assert (
        problem(spec("file"), [7]) == "expected UploadedFile objects or Markdown links, got int 7"
    )
    assert encode(spec("file"), [" [a](https://x/a) "]) == ["[a](https://x/a)"]


# --------------------------------------------------------------------------------------------
# Unknown keys and whole-call behaviour


def test_unknown_key_messages() -> None:
    fields = [
        FieldSpec(api_name="client-name", name="Client", type="string", is_required=False),
        FieldSpec(api_name="tier", name="Tier", type="string", is_required=False),
    ]

    def unknown(key: Any, specs: list[FieldSpec] = fields) -> str:
        with pytest.raises(InvalidValuesError) as caught:
            encode_values(specs, {key: "x"}, check_required=False)
        return caught.value.problems[0].message

    base = "no field has this api_name (the server would silently ignore it)"
    assert unknown("client") == base + '; did you mean "client-name" (field "Client")?'
    assert unknown("client-nam") == base + '; did you mean "client-name"?'
    assert unknown("zzz") == base + '; the fields are "client-name", "tier"'
    assert unknown("zzz", []) == base + "; there are no fields"
    assert unknown(5) == "field keys are api_name strings, got int 5"


def test_every_problem_is_reported_after_an_unknown_key() -> None:
    fields = [
        FieldSpec(api_name="a", name="A", type="number", is_required=False),
        FieldSpec(api_name="b", name="B", type="number", is_required=True),
    ]
    with pytest.raises(InvalidValuesError) as caught:
        encode_values(fields, {"zzz": 1, "a": "x"}, check_required=True, item=4)
    assert [p.field for p in caught.value.problems] == ["zzz", "a", "b"]
    assert caught.value.problems[1] == FieldProblem(
        field="a", message='"x" is not a number', item=4
    )
    assert caught.value.problems[2].message == 'required field "B" (number) is missing'


def test_naive_datetime_is_utc_not_local() -> None:
    naive = datetime(2024, 1, 1, 12, 0)
    assert encode(spec("date"), naive) == int(naive.replace(tzinfo=UTC).timestamp())


def test_astral_plane_host_passes_through_its_idna_form() -> None:
    # Mathematical bold letters are outside Django's host ranges; their IDNA form is ASCII.
    assert url_ok(
        "https://\U0001d41e\U0001d431\U0001d41a\U0001d426\U0001d429\U0001d425\U0001d41e.com/x"
    )
    assert not url_ok("https://\U0001f600\U0001f600/x")


def test_case_only_difference_is_suggested() -> None:
    # difflib alone finds nothing close to "GOLD"; the case-folded match does.
    assert problem(CHOICES, "GOLD") == '"GOLD" is not one of "Gold", "Silver"; did you mean "Gold"?'


def test_none_as_a_key_is_named() -> None:
    with pytest.raises(InvalidValuesError) as caught:
        encode_values([spec("string")], {None: "x"}, check_required=False)
    assert caught.value.problems == [
        FieldProblem(field="None", message="field keys are api_name strings, got None")
    ]


def test_unsendable_value_of_an_unknown_type_is_a_problem() -> None:
    mystery = FieldSpec(api_name="m", name="M", type="mystery", is_required=False)
    with pytest.raises(InvalidValuesError) as caught:
        encode_values([mystery], {"m": {1, 2}}, check_required=False, item=2)
    assert caught.value.problems == [
        FieldProblem(
            field="m",
            message="cannot be encoded as JSON (TypeError: Type is not JSON serializable: set)",
            item=2,
        )
    ]
    assert encode_values([mystery], {"m": {"any": [1, "json"]}}, check_required=False) == {
        "m": {"any": [1, "json"]}
    }


def test_epoch_range_is_checked_in_utc_whatever_the_local_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import time

    if not hasattr(time, "tzset"):
        pytest.skip("time.tzset is POSIX only")
    last = 253402300799  # 9999-12-31T23:59:59Z, the last second Python's datetime holds
    monkeypatch.setenv("TZ", "Asia/Kathmandu")  # ahead of UTC: local time is year 10000
    time.tzset()
    try:
        assert epoch_seconds(last) == last
        assert encode(spec("date"), str(last)) == last
        with pytest.raises(ValueError, match="out of range"):
            epoch_seconds(last + 1)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_epoch_numbers_keep_their_type_and_value_at_the_fast_range_edges() -> None:
    assert epoch_seconds(0) == 0
    assert type(epoch_seconds(0.0)) is int
    assert epoch_seconds(253402300799) == 253402300799
    assert epoch_seconds(253402300798.5) == 253402300798.5
    with pytest.raises(ValueError, match="out of range"):
        epoch_seconds(253402300800)
    with pytest.raises(ValueError, match="out of range"):
        epoch_seconds(253402300799.9999999 + 1)
    with pytest.raises(TypeError):
        epoch_seconds(True)


def test_a_spec_index_encodes_exactly_as_its_specs_do() -> None:
    specs = [
        FieldSpec(api_name="who", name="Who", type="user", is_required=True),
        FieldSpec(api_name="note", name="Note", type="string", is_required=False),
        FieldSpec(api_name="when", name="When", type="date", is_required=True),
    ]
    index = SpecIndex(specs)
    assert SpecIndex.of(index) is index
    assert list(index) == specs
    assert len(index) == 3
    assert index.user_fields == {"who"}
    assert [spec.api_name for spec in index.required] == ["who", "when"]
    values = {"who": 7, "note": "hi", "when": 60}
    emails = {7: "a@example.com"}
    assert encode_values(index, values, check_required=True, user_emails=emails) == encode_values(
        specs, values, check_required=True, user_emails=emails
    )
    assert user_ids_in(index, values) == user_ids_in(specs, values) == {7}
    with pytest.raises(InvalidValuesError) as info:
        encode_values(index, {"note": "x", "nope": 1}, check_required=True)
    assert sorted(p.field for p in info.value.problems) == ["nope", "when", "who"]


def test_user_ids_are_not_looked_for_without_user_fields() -> None:
    specs = [FieldSpec(api_name="n", name="N", type="number", is_required=False)]
    assert user_ids_in(specs, {"n": 7}) == set()


_CHOICES = (Selection(value="Low", api_name="low"), Selection(value="High", api_name="high"))
_FAST_SPECS = [
    FieldSpec(api_name="s", name="S", type="string", is_required=True),
    FieldSpec(api_name="t", name="T", type="text", is_required=False),
    FieldSpec(api_name="u", name="U", type="user", is_required=False),
    FieldSpec(api_name="d", name="D", type="date", is_required=False),
    FieldSpec(api_name="n", name="N", type="number", is_required=False),
    FieldSpec(api_name="r", name="R", type="radio", is_required=False, selections=_CHOICES),
    FieldSpec(api_name="k", name="K", type="checkbox", is_required=False, selections=_CHOICES),
    FieldSpec(api_name="w", name="W", type="url", is_required=False),
]
_ODD_VALUES: list[Any] = [
    "x",
    "",
    " ",
    "é",
    "\ud800",
    "s" * STRING_MAX_LENGTH,
    "s" * (STRING_MAX_LENGTH + 1),
    "Low",
    "low",
    "LOW",
    0,
    -1,
    7,
    True,
    1.5,
    253402300799,
    253402300800,
    2**63,
    -(2**63),
    10**40,
    None,
    [],
    ["Low"],
    ["Low", "High"],
    ["low"],
    ("Low",),
    ["Low", 3],
    ["Nope"],
    {"a": 1},
    "https://example.com/shop?q=1#top",
    "http://EXAMPLE.com:8080",
    "https://example.com:1/x",
    "https://example",
    "https://-bad.example.com/",
    "https://bad-.example.com/",
    "https://example.com/a b",
    "https://example.com/\u017f",
    "https://exampl\u212a.com/",
    "https://example.c0m/",
    "https://" + "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com",
    "https://" + "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com",
    "https://" + "a" * 64 + ".com/",
    "gopher://example.com/",
    "example.com/x",
    "https://user:pw@example.com/",
    "https://example.com./x",
]


class _FullCheckOnly(SpecIndex):
    """An index without fast paths: every value is checked the full way."""

    def __init__(self, specs: list[FieldSpec]) -> None:
        super().__init__(specs)
        self.fast = {}

    def fast_values(self) -> None:
        return None


def _outcome(index: SpecIndex, values: Any, *, check_required: bool = False) -> Any:
    try:
        return encode_values(
            index, values, check_required=check_required, user_emails={7: "a@x.io"}
        )
    except InvalidValuesError as exc:
        return [(p.field, p.message) for p in exc.problems]


@pytest.mark.parametrize("spec", _FAST_SPECS, ids=lambda spec: spec.type)
def test_the_fast_path_gives_exactly_what_the_full_check_gives(spec: FieldSpec) -> None:
    fast = SpecIndex([spec])
    full = _FullCheckOnly([spec])
    assert spec.api_name in fast.fast
    for value in _ODD_VALUES:
        values = {spec.api_name: value}
        got, want = _outcome(fast, values), _outcome(full, values)
        assert got == want, value
        if spec.type == "checkbox" and value and isinstance(got, dict):
            assert got[spec.api_name] is not value  # never the caller's own list


def test_the_whole_set_fast_path_gives_exactly_what_the_full_check_gives() -> None:
    fast = SpecIndex(_FAST_SPECS)
    full = _FullCheckOnly(_FAST_SPECS)
    assert fast.fast_values() is None  # an index used once never compiles it
    compiled = fast.fast_values()
    assert compiled is not None
    everyday = {"s": "x", "t": "y", "u": "a@x.io", "d": 60, "n": 7, "r": "Low", "k": ["Low"]}
    everyday["w"] = "https://example.com/shop?q=1#top"
    sent = compiled(everyday, True)
    assert sent == everyday
    assert sent is not everyday
    assert list(sent) == list(everyday)
    assert sent["k"] is not everyday["k"]  # never the caller's own list
    cases: list[Any] = [everyday, {}, {"t": "y"}, dict(reversed(everyday.items()))]
    for spec in _FAST_SPECS:  # one odd value at a time among everyday ones
        cases += [{**everyday, spec.api_name: value} for value in _ODD_VALUES]
    cases += [
        {**everyday, "nope": 1},  # an unknown field
        {**everyday, 3: "x"},  # a key that is not a string
        {key: value for key, value in everyday.items() if key != "s"},  # required, missing
    ]
    for values in cases:
        for check_required in (True, False):
            got = _outcome(fast, values, check_required=check_required)
            want = _outcome(full, values, check_required=check_required)
            assert got == want, values
            if isinstance(got, dict):
                assert list(got) == list(values)  # the caller's order
    missing = {key: value for key, value in everyday.items() if key != "s"}
    assert compiled(missing, True) is None
    assert compiled(missing, False) == missing
    assert compiled(MappingProxyType(everyday), True) is None  # not a dict: the full way
