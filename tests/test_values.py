"""Kickoff/output value encoding and validation (``pneumatic_async.values``).

The specs come from the real server's captured template (``74_templates_get``) and task
(``100_v2_tasks_get``) where possible; every field type and every error the contract lists for
field values is covered by a table row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import respx

from pneumatic_async._converter import structure
from pneumatic_async.errors import FieldProblem, InvalidValuesError
from pneumatic_async.models.files import UploadedFile
from pneumatic_async.models.tasks import Task
from pneumatic_async.models.templates import Selection, Template, TemplateListItem
from pneumatic_async.models.users import User
from pneumatic_async.models.workflows import Workflow
from pneumatic_async.values import (
    FieldSpec,
    encode_values,
    epoch_seconds,
    find_spec,
    is_valid_url,
    specs_from_list_item,
    specs_from_task,
    specs_from_template,
    specs_from_workflow,
    user_ids_in,
)
from tests.captures import body

FILE_URL = "https://api.pneumatic.test/files/f1a2"


def spec(api_name: str, type: str, *, required: bool = False, **kwargs: Any) -> FieldSpec:
    return FieldSpec(
        api_name=api_name, name=api_name.title(), type=type, is_required=required, **kwargs
    )


PRIORITY = spec(
    "priority",
    "radio",
    selections=(
        Selection(value="Low", api_name="sel-low"),
        Selection(value="High", api_name="sel-high"),
    ),
)
DEPARTMENT = spec(
    "department",
    "dropdown",
    required=True,
    selections=(Selection(value="Engineering", api_name="sel-eng"), Selection(value="Sales")),
)
ITEMS = spec(
    "items",
    "checkbox",
    selections=(Selection(value="Laptop", api_name="sel-laptop"), Selection(value="Monitor")),
)
SPECS = [
    spec("title", "string"),
    spec("notes", "text"),
    spec("site", "url"),
    spec("amount", "number"),
    spec("due", "date"),
    spec("approver", "user"),
    spec("docs", "file"),
    spec("future", "signature"),  # a type this SDK does not know
    PRIORITY,
    DEPARTMENT,
    ITEMS,
]

UPLOADED = UploadedFile(file_id="f1a2", public_url=FILE_URL, filename="report.pdf")


def encode(values: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("check_required", False)
    return encode_values(SPECS, values, **kwargs)


def problems(values: dict[str, Any], **kwargs: Any) -> list[FieldProblem]:
    with pytest.raises(InvalidValuesError) as info:
        encode(values, **kwargs)
    return info.value.problems


# --------------------------------------------------------------------------------------------
# Accepted values: one row per type and form


ACCEPTED: list[tuple[str, Any, Any]] = [
    ("title", "Jane Doe", "Jane Doe"),
    ("title", "x" * 140, "x" * 140),
    ("notes", "Need a **new** laptop\nfor work." * 20, "Need a **new** laptop\nfor work." * 20),
    ("site", "https://example.com/shop", "https://example.com/shop"),
    ("site", "example.com/shop?x=1", "example.com/shop?x=1"),
    ("amount", 12, 12),
    ("amount", 12.5, 12.5),
    ("amount", Decimal("1234.50"), "1234.50"),
    ("amount", " 42.0 ", "42.0"),
    ("amount", "-3", "-3"),
    ("due", 1796009087, 1796009087),
    ("due", 1796009087.5, 1796009087.5),
    ("due", "1796009087", 1796009087),
    ("due", datetime(2026, 11, 30, 3, 24, 47, tzinfo=UTC), 1796009087),
    ("due", datetime(2026, 11, 30, 4, 24, 47, tzinfo=timezone(timedelta(hours=1))), 1796009087),
    ("due", datetime(2026, 11, 30, 3, 24, 47), 1796009087),  # naive: UTC
    ("due", datetime(2026, 11, 30, 3, 24, 47, 500000, tzinfo=UTC), 1796009087.5),
    ("due", date(2026, 12, 1), 1796083200),
    ("approver", "owner@example.com", "owner@example.com"),
    ("approver", "Managers", "Managers"),
    ("approver", 7, "seven@example.com"),
    ("approver", User(id=8, email="eight@example.com"), "eight@example.com"),
    ("docs", [UPLOADED], [f"[report.pdf]({FILE_URL})"]),
    (
        "docs",
        [f"[a.txt]({FILE_URL})", UPLOADED],
        [f"[a.txt]({FILE_URL})", f"[report.pdf]({FILE_URL})"],
    ),
    ("docs", (UploadedFile(file_id="zz", public_url=FILE_URL),), [f"[zz]({FILE_URL})"]),
    ("priority", "High", "High"),
    ("priority", "sel-low", "Low"),  # a selection's api_name is mapped to its value
    ("department", "Sales", "Sales"),
    ("department", "sel-eng", "Engineering"),
    ("items", ["Laptop", "Monitor"], ["Laptop", "Monitor"]),
    ("items", ("sel-laptop",), ["Laptop"]),
    ("future", {"anything": 1}, {"anything": 1}),
    # clearing a field that is not required
    ("title", None, None),
    ("title", "", ""),
    ("items", [], []),
    ("docs", (), []),
    ("due", None, None),
]


@pytest.mark.parametrize(("field", "given", "sent"), ACCEPTED)
def test_accepted_values_are_encoded(field: str, given: Any, sent: Any) -> None:
    result = encode({field: given}, user_emails={7: "seven@example.com"})
    assert result == {field: sent}
    assert type(result[field]) is type(sent)


def test_only_given_keys_are_sent_and_nothing_is_mutated() -> None:
    values = {"title": "T", "items": ("Laptop",)}
    result = encode(values)
    assert result == {"title": "T", "items": ["Laptop"]}
    assert values == {"title": "T", "items": ("Laptop",)}


# --------------------------------------------------------------------------------------------
# Rejected values: every error the contract lists, and the SDK's own checks


REJECTED: list[tuple[str, Any, str]] = [
    # string too long / not a string
    ("title", "x" * 141, "is 141 characters long; a string field takes at most 140"),
    ("title", 5, "expected a string, got int 5"),
    ("notes", ["a"], "expected a string, got list"),
    # bad url
    ("site", "not a url", '"not a url" is not a valid URL'),
    ("site", "mailto://x.com", '"mailto://x.com" is not a valid URL'),
    ("site", 3, "expected a URL string, got int 3"),
    # number
    ("amount", "12abc", '"12abc" is not a number'),
    ("amount", True, "expected a number, got bool True"),
    ("amount", float("nan"), "expected a finite number"),
    ("amount", Decimal("Infinity"), "expected a finite number"),
    ("amount", [1], "expected a number, got list"),
    # date not numeric
    ("due", "2026-12-01", '"2026-12-01" is not a date: pass a datetime, a date or epoch seconds'),
    ("due", "01/12/2026", "is not a date"),
    ("due", True, "expected a datetime, a date or epoch seconds, got bool True"),
    ("due", float("inf"), "is not a finite number of epoch seconds"),
    ("due", 10**20, "out of range"),
    # selection not found (value text only; ids and unknown api_names are refused)
    ("priority", "Urgent", 'priority: "Urgent" is not one of "Low", "High"'),
    ("priority", "high", '"high" is not one of "Low", "High"; did you mean "High"?'),
    ("priority", 2, 'expected one of "Low", "High", got int 2'),
    ("department", "selection-xsksf3", '"selection-xsksf3" is not one of "Engineering", "Sales"'),
    # checkbox not a list / bad items
    ("items", "Laptop", 'expected a list of choices, got a string: write ["Laptop"]'),
    ("items", ["Laptop", "Phone"], '"Phone" is not one of "Laptop", "Monitor"'),
    ("items", {"Laptop"}, "expected a list of choices, got set"),
    # user unknown
    ("approver", 42, "user 42 is not a user of this account"),
    ("approver", 4.5, "expected a user's email, a group name or a user id, got float 4.5"),
    # file
    ("docs", UPLOADED, "expected a list of files: wrap the file in a list"),
    ("docs", f"[a.txt]({FILE_URL})", "expected a list of files"),
    ("docs", [FILE_URL], "is not a Markdown link"),
    ("docs", [17], "expected UploadedFile objects or Markdown links, got int 17"),
    # an explicit empty value for a required field
    ("department", None, "is required: an empty value (None) is not allowed"),
    ("department", "", "is required: an empty value ('') is not allowed"),
]


@pytest.mark.parametrize(("field", "given", "expected"), REJECTED)
def test_rejected_values_name_the_field_and_what_is_expected(
    field: str, given: Any, expected: str
) -> None:
    [problem] = problems({field: given}, user_emails={7: "seven@example.com"})
    assert problem.field == field
    assert expected in str(problem)
    assert problem.item is None


def test_unknown_field_gets_a_did_you_mean() -> None:
    [problem] = problems({"priorty": "High"})
    assert problem.field == "priorty"
    assert "no field has this api_name (the server would silently ignore it)" in problem.message
    assert 'did you mean "priority"?' in problem.message


def test_unknown_field_matching_a_field_name_suggests_its_api_name() -> None:
    specs = [FieldSpec(api_name="field-x1y2z3", name="Vendor URL", type="url", is_required=False)]
    with pytest.raises(InvalidValuesError) as info:
        encode_values(specs, {"vendor url": "example.com"}, check_required=False)
    assert 'did you mean "field-x1y2z3" (field "Vendor URL")?' in str(info.value)


def test_unknown_field_without_a_close_match_lists_the_fields() -> None:
    [problem] = problems({"zzz": 1})
    assert 'the fields are "title", "notes", "site"' in problem.message


def test_non_string_key_is_a_problem() -> None:
    [problem] = problems({3: "x"})  # type: ignore[dict-item]
    assert problem.field == "3"
    assert "api_name strings" in problem.message


def test_missing_required_field_only_when_checked() -> None:
    assert encode({"title": "x"}, check_required=False) == {"title": "x"}
    [problem] = problems({"title": "x"}, check_required=True)
    assert problem.field == "department"
    assert problem.message == 'required field "Department" (dropdown) is missing'


def test_all_problems_are_reported_together_with_the_item_index() -> None:
    found = problems(
        {
            "title": "x" * 200,
            "priority": "Urgent",
            "items": "Laptop",
            "due": "tomorrow",
            "approver": 99,
            "site": "not a url",
            "typo": 1,
            "notes": "fine",
        },
        check_required=True,
        item=4,
    )
    assert [p.field for p in found] == [
        "title",
        "priority",
        "items",
        "due",
        "approver",
        "site",
        "typo",
        "department",
    ]
    assert {p.item for p in found} == {4}
    assert str(found[0]).startswith("item 4: title: ")


def test_error_message_counts_problems() -> None:
    with pytest.raises(InvalidValuesError, match=r"^2 invalid value\(s\): priority: "):
        encode({"priority": "Urgent", "items": "Laptop"})


def test_dataset_field_accepts_values_the_template_does_not_list() -> None:
    specs = [
        FieldSpec(
            api_name="city",
            name="City",
            type="dropdown",
            is_required=False,
            selections=(Selection(value="Paris"),),
            dataset=3,
        )
    ]
    assert encode_values(specs, {"city": "Lyon"}, check_required=False) == {"city": "Lyon"}


def test_choice_field_without_selections_accepts_any_text() -> None:
    specs = [FieldSpec(api_name="c", name="C", type="radio", is_required=False)]
    assert encode_values(specs, {"c": "x"}, check_required=False) == {"c": "x"}


# --------------------------------------------------------------------------------------------
# Helpers


@pytest.mark.parametrize(
    ("url", "valid"),
    [
        ("https://example.com/shop", True),
        ("example.com/shop", True),
        ("http://localhost:8000/x", True),
        ("localhost", True),
        ("ftp://files.example.org", True),
        ("http://192.168.0.1:8080/a", True),
        ("http://[::1]:8080/", True),
        ("http://münchen.de", True),
        ("not a url", False),
        ("https://example", False),
        ("javascript://example.com", False),
        ("http://[zz::1]/", False),
        ("http://exa mple.com", False),
        ("http://" + "a" * 250 + ".com", False),
    ],
)
def test_is_valid_url_follows_the_servers_rules(url: str, valid: bool) -> None:
    assert is_valid_url(url) is valid


def test_epoch_seconds() -> None:
    assert epoch_seconds(datetime(1970, 1, 2, tzinfo=UTC)) == 86400
    assert epoch_seconds(datetime(1970, 1, 2)) == 86400
    assert epoch_seconds(date(1970, 1, 3)) == 172800
    assert epoch_seconds(1.25) == 1.25
    assert epoch_seconds(3.0) == 3
    assert type(epoch_seconds(3.0)) is int
    with pytest.raises(TypeError):
        epoch_seconds("1")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        epoch_seconds(float("nan"))


def test_user_ids_in_only_collects_ints_of_user_fields() -> None:
    values = {"approver": 7, "amount": 5, "title": 3, "due": True}
    assert user_ids_in(SPECS, values) == {7}
    assert user_ids_in(SPECS, {"approver": True}) == set()
    assert user_ids_in(SPECS, {"approver": "a@b.c"}) == set()


def test_find_spec() -> None:
    assert find_spec(SPECS, "priority") is PRIORITY
    assert find_spec(SPECS, "nope") is None


# --------------------------------------------------------------------------------------------
# Specs from the real server's objects


def test_specs_from_template_capture() -> None:
    template = structure(body("74_templates_get"), Template)
    specs = specs_from_template(template)
    by_name = {s.api_name: s for s in specs}
    assert set(by_name) == {
        "approver",
        "vendor-url",
        "needed-by",
        "items",
        "priority",
        "department",
        "justification",
        "requester-name",
    }
    assert by_name["approver"] == FieldSpec(
        api_name="approver", name="Approver", type="user", is_required=True
    )
    department = by_name["department"]
    assert department.type == "dropdown"
    assert department.is_required
    assert department.choice_values == ("Engineering", "Marketing", "Sales")
    assert department.selections[0] == Selection(value="Engineering", api_name="selection-xsksf3")
    # the capture's run 160 sent that api_name: the SDK maps it to the value text
    encoded = encode_values(specs, {"department": "selection-xsksf3"}, check_required=False)
    assert encoded == {"department": "Engineering"}


def test_run_capture_kickoff_encodes_to_what_was_accepted() -> None:
    """The kickoff the real server accepted in capture 80, written with Python values."""
    from tests.captures import capture

    specs = specs_from_template(structure(body("74_templates_get"), Template))
    sent = capture("80_templates_run_ok")["request"]["json"]["kickoff"]
    given = {
        **sent,
        "needed-by": datetime.fromtimestamp(sent["needed-by"], tz=UTC),
        "priority": "selection-584eo9",
        "approver": 1,
    }
    encoded = encode_values(specs, given, check_required=True, user_emails={1: "owner@example.com"})
    assert encoded == sent


def test_specs_from_list_item_capture() -> None:
    [item] = structure(body("70_templates_list"), list[TemplateListItem])
    specs = specs_from_list_item(item)
    priority = find_spec(specs, "priority")
    assert priority is not None
    assert priority.selections == (Selection(value="Low"), Selection(value="High"))
    assert find_spec(specs, "approver") == FieldSpec(
        api_name="approver", name="Approver", type="user", is_required=True
    )


def test_specs_from_task_capture() -> None:
    task = structure(body("100_v2_tasks_get"), Task)
    specs = specs_from_task(task)
    decision = find_spec(specs, "review-decision")
    assert decision is not None
    assert decision.type == "radio"
    assert decision.is_required
    assert decision.choice_values == ("Approve", "Reject")
    # capture 167: "Maybe" was refused by the server; the SDK refuses it first
    with pytest.raises(InvalidValuesError, match='"Maybe" is not one of "Approve", "Reject"'):
        encode_values(specs, {"review-decision": "Maybe"}, check_required=False)
    # capture 110: omitting the required output field is accepted by the server
    assert encode_values(specs, {"review-note": "hm"}, check_required=False) == {
        "review-note": "hm"
    }


def test_specs_from_workflow_capture() -> None:
    workflow = structure(body("90_workflows_get"), Workflow)
    specs = specs_from_workflow(workflow)
    assert {s.api_name for s in specs} >= {"approver", "department", "items"}
    assert find_spec(specs, "items") is not None
    assert find_spec(specs, "items").choice_values == ("Laptop", "Monitor", "Keyboard")  # type: ignore[union-attr]


def test_specs_include_fieldset_fields() -> None:
    template = structure(
        {
            "id": 1,
            "is_active": True,
            "kickoff": {
                "fields": [],
                "fieldsets": [
                    {
                        "api_name": "fieldset-1",
                        "fields": [
                            {
                                "api_name": "color",
                                "name": "Color",
                                "type": "radio",
                                "order": 1,
                                "is_required": True,
                                "selections": [{"value": "Red", "api_name": "s-red"}],
                            },
                            {"name": "no api_name", "type": "string"},
                        ],
                    }
                ],
            },
        },
        Template,
    )
    assert specs_from_template(template) == [
        FieldSpec(
            api_name="color",
            name="Color",
            type="radio",
            is_required=True,
            selections=(Selection(value="Red", api_name="s-red"),),
        )
    ]


def test_specs_from_workflow_without_kickoff() -> None:
    workflow = Workflow(id=1, name="w", status=0, date_created_tsp=datetime.now(UTC))
    assert specs_from_workflow(workflow) == []


# --------------------------------------------------------------------------------------------
# Resolving user ids


def _user(user_id: int, email: str, status: str = "active") -> dict[str, Any]:
    return {"id": user_id, "email": email, "status": status, "type": "user"}


async def test_users_emails_by_id_lists_users_once_and_caches(
    client: Any, router: respx.MockRouter
) -> None:
    route = router.get("/accounts/users").respond(
        json=[
            _user(1, "owner@example.com"),
            _user(2, "gone@example.com", "inactive"),
            _user(3, "new@example.com", "invited"),
        ]
    )
    assert await client.users.emails_by_id({1, 2, 3}) == {
        1: "owner@example.com",
        3: "new@example.com",
    }
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.url.params["limit"] == "1000"
    assert request.url.params["offset"] == "0"
    # cached: known ids need no request
    assert await client.users.emails_by_id({1}) == {1: "owner@example.com"}
    assert route.call_count == 1
    # an unknown id lists again (a user added since); still unknown: left out
    assert await client.users.emails_by_id({1, 9}) == {1: "owner@example.com"}
    assert route.call_count == 2


async def test_users_emails_by_id_pages_through_envelopes(
    client: Any, router: respx.MockRouter
) -> None:
    pages = {
        "0": {"count": 2, "next": "x", "previous": None, "results": [_user(1, "a@x.io")]},
        "1": {"count": 2, "next": None, "previous": "y", "results": [_user(2, "b@x.io")]},
    }
    router.get("/accounts/users").mock(
        side_effect=lambda request: respx.MockResponse(json=pages[request.url.params["offset"]])
    )
    assert await client.users.emails_by_id([2]) == {2: "b@x.io"}
