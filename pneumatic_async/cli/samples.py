"""The templates the CLI creates on the embedded fake server: the demo's and the sandbox's.

Both are :class:`~pneumatic_async.models.templates.NewTemplate` request models, so the demo creates
its template through the SDK (``client.templates.create``) exactly as a user would on the real
server, and the sandbox seeds the fake with the same body.
"""

from __future__ import annotations

from pneumatic_async.models.common import FieldType
from pneumatic_async.models.templates import (
    Condition,
    ConditionAction,
    Field,
    Kickoff,
    NewTemplate,
    Owner,
    OwnerRole,
    Predicate,
    PredicateFieldType,
    PredicateOperator,
    RawPerformer,
    RawPerformerType,
    Rule,
    Selection,
    TemplateTask,
)

__all__ = [
    "DEMO_FIELD_TYPES",
    "DEMO_PLANS",
    "DEMO_REGIONS",
    "DEMO_MODULES",
    "SKIP_FINANCE_BELOW",
    "demo_template",
    "sandbox_template",
]

#: Contract values below this skip the demo's "Finance approval" task (a skip_task condition).
SKIP_FINANCE_BELOW = 10_000
DEMO_PLANS = ("Starter", "Growth", "Enterprise")
DEMO_REGIONS = ("EU", "US", "APAC")
DEMO_MODULES = ("CRM", "Billing", "Support")
#: Every field type of the API, in the order of the demo template's kickoff form.
DEMO_FIELD_TYPES = (
    "string",
    "text",
    "number",
    "date",
    "url",
    "dropdown",
    "radio",
    "checkbox",
    "user",
    "file",
)


def _owner(user_id: int) -> list[Owner]:
    return [Owner(type="user", source_id=str(user_id), role=OwnerRole.OWNER)]


def _choices(values: tuple[str, ...]) -> list[Selection]:
    return [Selection(value=value) for value in values]


def _after(task_api_name: str, operator: PredicateOperator) -> Condition:
    """A start_task condition: start once ``task_api_name`` is completed (or skipped)."""
    predicate = Predicate(
        field_type=PredicateFieldType.TASK, operator=operator, field=task_api_name
    )
    return Condition(
        action=ConditionAction.START_TASK, order=1, rules=[Rule(predicates=[predicate])]
    )


def demo_template(owner_id: int) -> NewTemplate:
    """The demo's template: a kickoff form with every field type and three conditional tasks.

    1. "Review {{client}}" (the workflow starter) starts at once; its output has a ``decision``
       radio (Approve / Reject) and ``review-notes``.
    2. "Finance approval" (performed by the kickoff's ``account-manager`` user) starts after the
       review; a ``Reject`` decision ends the workflow (end_process) and a contract value below
       10,000 skips the task (skip_task).
    3. "Onboard {{client}}" (the starter) starts once finance approval is completed or skipped.
    """
    kickoff = Kickoff(
        fields=[
            Field(
                name="Client", type=FieldType.STRING, order=1, api_name="client", is_required=True
            ),
            Field(name="Request details", type=FieldType.TEXT, order=2, api_name="details"),
            Field(
                name="Contract value",
                type=FieldType.NUMBER,
                order=3,
                api_name="amount",
                is_required=True,
            ),
            Field(name="Start date", type=FieldType.DATE, order=4, api_name="start-date"),
            Field(name="Website", type=FieldType.URL, order=5, api_name="website"),
            Field(
                name="Plan",
                type=FieldType.DROPDOWN,
                order=6,
                api_name="plan",
                selections=_choices(DEMO_PLANS),
            ),
            Field(
                name="Region",
                type=FieldType.RADIO,
                order=7,
                api_name="region",
                selections=_choices(DEMO_REGIONS),
            ),
            Field(
                name="Modules",
                type=FieldType.CHECKBOX,
                order=8,
                api_name="modules",
                selections=_choices(DEMO_MODULES),
            ),
            Field(
                name="Account manager",
                type=FieldType.USER,
                order=9,
                api_name="account-manager",
                is_required=True,
            ),
            Field(name="Signed contract", type=FieldType.FILE, order=10, api_name="contract"),
        ]
    )
    review = TemplateTask(
        number=1,
        api_name="task-review",
        name="Review {{client}}",
        description="Check the request of {{client}} and decide.",
        raw_performers=[RawPerformer(type=RawPerformerType.WORKFLOW_STARTER)],
        fields=[
            Field(
                name="Decision",
                type=FieldType.RADIO,
                order=1,
                api_name="decision",
                is_required=True,
                selections=_choices(("Approve", "Reject")),
            ),
            Field(name="Review notes", type=FieldType.TEXT, order=2, api_name="review-notes"),
        ],
    )
    rejected = Predicate(
        field_type=PredicateFieldType.RADIO,
        operator=PredicateOperator.EQUALS,
        field="decision",
        value="Reject",
    )
    small = Predicate(
        field_type=PredicateFieldType.NUMBER,
        operator=PredicateOperator.LESS_THAN,
        field="amount",
        value=str(SKIP_FINANCE_BELOW),
    )
    finance = TemplateTask(
        number=2,
        api_name="task-finance",
        name="Finance approval",
        raw_performers=[RawPerformer(type=RawPerformerType.FIELD, source_id="account-manager")],
        conditions=[
            _after("task-review", PredicateOperator.COMPLETED),
            Condition(
                action=ConditionAction.END_PROCESS, order=2, rules=[Rule(predicates=[rejected])]
            ),
            Condition(action=ConditionAction.SKIP_TASK, order=3, rules=[Rule(predicates=[small])]),
        ],
        fields=[
            Field(
                name="Approved amount", type=FieldType.NUMBER, order=1, api_name="approved-amount"
            ),
        ],
    )
    onboard = TemplateTask(
        number=3,
        api_name="task-onboard",
        name="Onboard {{client}}",
        raw_performers=[RawPerformer(type=RawPerformerType.WORKFLOW_STARTER)],
        conditions=[_after("task-finance", PredicateOperator.COMPLETED_OR_SKIPPED)],
        fields=[
            Field(name="Go-live date", type=FieldType.DATE, order=1, api_name="go-live"),
            Field(name="Handover notes", type=FieldType.STRING, order=2, api_name="handover"),
        ],
    )
    return NewTemplate(
        name="Demo: client onboarding",
        description="Created by `pneumatic demo`: every field type, conditions, three tasks.",
        owners=_owner(owner_id),
        kickoff=kickoff,
        tasks=[review, finance, onboard],
        wf_name_template="Onboarding {{client}}",
    )


def sandbox_template(owner_id: int) -> NewTemplate:
    """The sandbox's sample template "Client onboarding": a small kickoff form, two tasks.

    Kickoff: ``client`` (string, required), ``amount`` (number), ``plan`` (dropdown: Starter,
    Growth, Enterprise), ``start-date`` (date), ``reference`` (string; e.g. for
    ``bulk-run --token-field reference``). Tasks: "Welcome {{client}}" starts at once;
    "Set up the account" (output ``account-id``) after it.
    """
    kickoff = Kickoff(
        fields=[
            Field(
                name="Client", type=FieldType.STRING, order=1, api_name="client", is_required=True
            ),
            Field(name="Amount", type=FieldType.NUMBER, order=2, api_name="amount"),
            Field(
                name="Plan",
                type=FieldType.DROPDOWN,
                order=3,
                api_name="plan",
                selections=_choices(DEMO_PLANS),
            ),
            Field(name="Start date", type=FieldType.DATE, order=4, api_name="start-date"),
            Field(name="External reference", type=FieldType.STRING, order=5, api_name="reference"),
        ]
    )
    welcome = TemplateTask(
        number=1,
        api_name="task-welcome",
        name="Welcome {{client}}",
        raw_performers=[RawPerformer(type=RawPerformerType.WORKFLOW_STARTER)],
        fields=[Field(name="Welcome note", type=FieldType.TEXT, order=1, api_name="note")],
    )
    setup = TemplateTask(
        number=2,
        api_name="task-setup",
        name="Set up the account",
        raw_performers=[RawPerformer(type=RawPerformerType.WORKFLOW_STARTER)],
        conditions=[_after("task-welcome", PredicateOperator.COMPLETED)],
        fields=[Field(name="Account id", type=FieldType.STRING, order=1, api_name="account-id")],
    )
    return NewTemplate(
        name="Client onboarding",
        description="The sandbox's sample template.",
        owners=_owner(owner_id),
        kickoff=kickoff,
        tasks=[welcome, setup],
        wf_name_template="Onboarding {{client}}",
    )
