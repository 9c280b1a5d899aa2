"""Demo data for the fake server: ``FakePneumatic`` seeded so that the docs' examples run.

``python -m pneumatic_async.testing serve --seed-demo`` and the docs' test runner use it. What
:func:`seed_demo` adds (raw JSON through the fake's fixture builders, no SDK models):

* users ``max@example.com`` (Max Manager) and ``ana@example.com`` (Ana Analyst), besides the
  owner;
* the template "Client onboarding" (id 1 on a fresh fake, :data:`DEMO_TEMPLATE_ID`) whose
  kickoff has ``client`` (string, required), ``amount`` (number), ``plan`` (dropdown Starter /
  Growth / Enterprise), ``start-date`` (date), ``reference`` (string) and ``contract`` (file);
  its task "Review {{client}}" (the workflow starter) has a ``decision`` radio (Approve /
  Reject, api_names ``dec-approve`` / ``dec-reject``) and a ``note`` text; "Set up the account"
  (output ``account-id``, a two-item checklist) starts after it;
* one running workflow per client of :data:`DEMO_CLIENTS`;
* a Flowdash task (workflow ``abc123``, task ``678``, :data:`DEMO_FLOWDASH_TASK`) offering the
  actions Approve and Reject (the fake serves Flowdash under ``<base_url>/api/v1``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from pneumatic_async.testing import FakePneumatic

__all__ = [
    "DEMO_CLIENTS",
    "DEMO_FLOWDASH_TASK",
    "DEMO_TEMPLATE_ID",
    "DemoSeed",
    "demo_template",
    "seed_demo",
]

#: The template id the demo template gets on a fresh fake.
DEMO_TEMPLATE_ID = 1
#: The Flowdash (workflow id, task id) the demo seeds.
DEMO_FLOWDASH_TASK = ("abc123", "678")
#: The kickoff ``client`` of the seeded workflows.
DEMO_CLIENTS = ("ACME", "Globex", "Initech")


@attrs.frozen(kw_only=True)
class DemoSeed:
    """What :func:`seed_demo` created: the template's id and the workflows' ids, in order."""

    template_id: int
    workflow_ids: tuple[int, ...]


def _field(name: str, kind: str, order: int, api_name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "order": order, "api_name": api_name, **extra}


def _starter() -> list[dict[str, Any]]:
    return [{"type": "workflow_starter", "source_id": None}]


def demo_template(owner_id: int) -> dict[str, Any]:
    """The ``POST /templates`` body of the demo template (see the module docs)."""
    plans = [
        {"value": plan, "api_name": f"plan-{plan.lower()}"}
        for plan in ("Starter", "Growth", "Enterprise")
    ]
    decisions = [
        {"value": "Approve", "api_name": "dec-approve"},
        {"value": "Reject", "api_name": "dec-reject"},
    ]
    reviewed = {"field_type": "task", "operator": "completed", "field": "task-review"}
    after_review = {"action": "start_task", "order": 1, "rules": [{"predicates": [reviewed]}]}
    return {
        "name": "Client onboarding",
        "description": "The demo template of the fake server.",
        "is_active": True,
        "wf_name_template": "Onboarding {{client}}",
        "owners": [{"type": "user", "source_id": str(owner_id), "role": "owner"}],
        "kickoff": {
            "fields": [
                _field("Client", "string", 1, "client", is_required=True),
                _field("Amount", "number", 2, "amount"),
                _field("Plan", "dropdown", 3, "plan", selections=plans),
                _field("Start date", "date", 4, "start-date"),
                _field("External reference", "string", 5, "reference"),
                _field("Contract", "file", 6, "contract"),
            ]
        },
        "tasks": [
            {
                "number": 1,
                "name": "Review {{client}}",
                "api_name": "task-review",
                "raw_performers": _starter(),
                "fields": [
                    _field("Decision", "radio", 1, "decision", selections=decisions),
                    _field("Note", "text", 2, "note"),
                ],
            },
            {
                "number": 2,
                "name": "Set up the account",
                "api_name": "task-setup",
                "raw_performers": _starter(),
                "conditions": [after_review],
                "fields": [_field("Account id", "string", 1, "account-id")],
                "checklists": [
                    {
                        "api_name": "setup-checklist",
                        "selections": [
                            {"value": "Contract signed", "api_name": "item-contract"},
                            {"value": "Invoice sent", "api_name": "item-invoice"},
                        ],
                    }
                ],
            },
        ],
    }


def seed_demo(fake: FakePneumatic) -> DemoSeed:
    """Add the demo users, template and workflows to ``fake`` (see the module docs)."""
    fake.add_user("max@example.com", "Max", "Manager")
    fake.add_user("ana@example.com", "Ana", "Analyst")
    template = fake.add_template(demo_template(fake.owner.id))
    amounts = (12_500, 4_200, 980)
    plans = ("Enterprise", "Growth", "Starter")
    workflows = [
        fake.run_workflow(template, kickoff={"client": client, "amount": amount, "plan": plan})
        for client, amount, plan in zip(DEMO_CLIENTS, amounts, plans, strict=True)
    ]
    fake.flowdash.add_task(*DEMO_FLOWDASH_TASK, actions=["Approve", "Reject"])
    return DemoSeed(template_id=template.id, workflow_ids=tuple(w.id for w in workflows))
