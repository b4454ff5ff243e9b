"""Parity: every portal and agent-workspace action has an API call with the same result and the
same refusals. Each row does the action once through the pages and once through the API, on two
requests made the same way, and compares what the request became (status, tier, priority,
assignee, people, related requests, type, work items and the activity log)."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.test import Client

from accounts.api_tokens import api_token_create
from tickets.models import RequestType, Ticket, WorkItem
from tickets.services import ticket_share, ticket_transition
from tickets.work_items import work_item_create, work_item_link

API = "/api/v1"
pytestmark = pytest.mark.usefixtures("catalogue")


@dataclass
class Row:
    name: str
    actor: str
    portal: Callable  # (ctx, ticket) -> (path, form data)
    api: Callable  # (ctx, ticket) -> (method, path, json body)
    needs_approval: bool = False
    setup: Callable | None = None  # (ctx, ticket) -> None, before the action
    refused: int | None = None  # the status both doors answer, when the action is refused
    portal_ok: tuple = (302,)
    extra: dict = field(default_factory=dict)


def _ref(ticket):
    return ticket.reference


def share_colleague(ctx, ticket):
    ticket_share(ticket=ticket, actor=ctx["customer"], user=ctx["colleague"])


def in_progress(ctx, ticket):
    ticket_transition(ticket=ticket, action="start_progress", actor=ctx["tier1"])


def to_tier_two(ctx, ticket):
    from tickets.services import ticket_escalate_tier

    ticket_escalate_tier(ticket=ticket, actor=ctx["tier1"], to_tier=2, reason="Needs Tier II")


def _participant_pk(ctx, ticket, who):
    return ticket.participants.get(user=ctx[who]).pk


def _other(ctx, ticket):
    """A second request of the same desk for links and merges (made once per ticket)."""
    return ctx["submit"](ctx["customer"], summary=f"Other of {ticket.reference}")


def _work_item(ctx, ticket):
    item = work_item_create(actor=ctx["tier2"], title=f"Bug for {ticket.reference}", kind="bug")
    ctx.setdefault("items", {})[ticket.pk] = item
    return item


ROWS = [
    # --- The portal (customers and vouching roles) ---
    Row("comment", "customer",
        lambda c, t: (f"/requests/{_ref(t)}/comment/", {"body": "Any news?"}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/comments/", {"body": "Any news?"})),
    Row("resolve", "customer",
        lambda c, t: (f"/requests/{_ref(t)}/transition/", {"action": "resolve", "note": "Fixed itself"}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/transitions/", {"action": "resolve", "note": "Fixed itself"})),
    Row("cancel", "customer",
        lambda c, t: (f"/requests/{_ref(t)}/transition/", {"action": "cancel", "note": ""}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/transitions/", {"action": "cancel"})),
    Row("escalate", "customer",
        lambda c, t: (f"/requests/{_ref(t)}/escalate/", {"reason": "Payroll is due"}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/escalation-request/", {"reason": "Payroll is due"})),
    Row("share", "customer",
        lambda c, t: (f"/requests/{_ref(t)}/share/", {"user": c["colleague"].pk}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/participants/", {"email": c["colleague"].email})),
    Row("notifications off", "colleague",
        lambda c, t: (f"/requests/{_ref(t)}/notifications/", {}),
        lambda c, t: ("put", f"{API}/requests/{_ref(t)}/notifications/", {"notify": False}), setup=share_colleague),
    Row("unshare", "customer",
        lambda c, t: (f"/requests/{_ref(t)}/unshare/", {"participant": _participant_pk(c, t, "colleague")}),
        lambda c, t: ("delete", f"{API}/requests/{_ref(t)}/participants/{c['colleague'].email}/", None),
        setup=share_colleague),
    Row("approve", "voucher",
        lambda c, t: (f"/requests/{_ref(t)}/transition/", {"action": "approve", "note": ""}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/approval/", {"decision": "approve"}), needs_approval=True),
    Row("decline", "voucher",
        lambda c, t: (f"/requests/{_ref(t)}/transition/", {"action": "decline", "note": "Not for us"}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/approval/", {"decision": "decline", "note": "Not for us"}),
        needs_approval=True),
    # --- The agent workspace ---
    Row("public reply", "tier1",
        lambda c, t: (f"/agent/tickets/{_ref(t)}/reply/", {"body": "Looking into it"}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/comments/", {"body": "Looking into it"})),
    Row("internal note", "tier1",
        lambda c, t: (f"/agent/tickets/{_ref(t)}/reply/", {"body": "Checked the logs", "internal": "on"}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/comments/", {"body": "Checked the logs", "internal": True})),
    Row("start progress", "tier1",
        lambda c, t: (f"/agent/tickets/{_ref(t)}/transition/", {"action": "start_progress", "note": ""}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/transitions/", {"action": "start_progress"})),
    Row("ask the customer", "tier1",
        lambda c, t: (f"/agent/tickets/{_ref(t)}/transition/", {"action": "ask_customer", "note": "Which site?"}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/transitions/",
                      {"action": "ask_customer", "note": "Which site?"}),
        setup=in_progress),
    Row("assign", "tier1",
        lambda c, t: (f"/agent/tickets/{_ref(t)}/assign/", {"assignee": c["tier1"].pk}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/assignee/", {"assignee": c["tier1"].email})),
    Row("priority", "tier1",
        lambda c, t: (f"/agent/tickets/{_ref(t)}/priority/", {"priority": 4}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/priority/", {"priority": 4})),
    Row("to Tier II", "tier1",
        lambda c, t: (f"/agent/tickets/{_ref(t)}/tier/", {"reason": "Needs a developer"}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/tier/", {"tier": 2, "reason": "Needs a developer"})),
    Row("related", "tier1",
        lambda c, t: (f"/agent/tickets/{_ref(t)}/link/", {"link-reference": c["others"][t.pk].reference}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/related/", {"reference": c["others"][t.pk].reference}),
        setup=lambda c, t: c.setdefault("others", {}).__setitem__(t.pk, _other(c, t))),
    Row("type change", "tier1",
        lambda c, t: (f"/agent/tickets/{_ref(t)}/type/", {"request_type": c["how_to"].pk}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/request-type/", {"request_type": c["how_to"].pk})),
    Row("link a work item", "tier2",
        lambda c, t: (f"/agent/tickets/{_ref(t)}/work-item/", {"work_item": c["items"][t.pk].pk, "kind": "bug"}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/work-items/", {"work_item": c["items"][t.pk].pk}),
        setup=lambda c, t: _work_item(c, t)),
    Row("work item done", "tier2",
        lambda c, t: (f"/agent/work-items/{c['items'][t.pk].pk}/status/", {"status": "done"}),
        lambda c, t: ("put", f"{API}/work-items/{c['items'][t.pk].pk}/status/", {"status": "done"}),
        setup=lambda c, t: (to_tier_two(c, t), work_item_link(ticket=t, actor=c["tier2"], work_item=_work_item(c, t)))),
    # --- Refusals: the same answer from both doors, and nothing changes ---
    Row("a customer approving their own request", "customer",
        lambda c, t: (f"/requests/{_ref(t)}/transition/", {"action": "approve", "note": ""}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/approval/", {"decision": "approve"}),
        needs_approval=True, refused=403),
    Row("a stale version", "customer",
        lambda c, t: (f"/requests/{_ref(t)}/comment/", {"body": "Late", "version": 99}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/comments/", {"body": "Late", "version": 99}), refused=409),
    Row("resolving twice", "customer",
        lambda c, t: (f"/requests/{_ref(t)}/transition/", {"action": "resolve", "note": ""}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/transitions/", {"action": "resolve"}),
        setup=lambda c, t: ticket_transition(ticket=t, action="resolve", actor=c["customer"]), refused=403),
    Row("an outsider commenting", "outsider",
        lambda c, t: (f"/requests/{_ref(t)}/comment/", {"body": "Hello"}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/comments/", {"body": "Hello"}), refused=404),
    Row("a customer assigning", "customer",
        lambda c, t: (f"/agent/tickets/{_ref(t)}/assign/", {"assignee": c["tier1"].pk}),
        lambda c, t: ("post", f"{API}/requests/{_ref(t)}/assignee/", {"assignee": c["tier1"].email}), refused=404),
    Row("Tier I marking a work item done", "tier1",
        lambda c, t: (f"/agent/work-items/{c['items'][t.pk].pk}/status/", {"status": "done"}),
        lambda c, t: ("put", f"{API}/work-items/{c['items'][t.pk].pk}/status/", {"status": "done"}),
        setup=lambda c, t: work_item_link(ticket=t, actor=c["tier2"], work_item=_work_item(c, t)),
        refused=403, portal_ok=(302,)),
]  # fmt: skip


REFERENCE = re.compile(r"\b[A-Z][A-Z0-9]{0,9}-\d+\b")


def _plain(text):
    """References differ between the two requests; nothing else may."""
    return REFERENCE.sub("REF", text) if isinstance(text, str) else text


def snapshot(ticket: Ticket) -> dict:
    ticket = Ticket.objects.get(pk=ticket.pk)
    return {
        "status": ticket.status,
        "tier": ticket.tier,
        "priority": ticket.priority,
        "assignee": ticket.assignee.email if ticket.assignee else None,
        "escalation_requested": ticket.escalation_requested,
        "request_type": ticket.request_type.key,
        "people": sorted((p.user.email, p.notify) for p in ticket.participants.select_related("user")),
        "related": ticket.related.count(),
        "work_items": sorted(WorkItem.objects.filter(tickets=ticket).values_list("status", flat=True)),
        "activities": [
            (
                a.kind,
                a.visibility,
                _plain(a.body),
                _plain(a.old_value),
                _plain(a.new_value),
                a.actor.email if a.actor else None,
            )
            for a in ticket.activities.select_related("actor").order_by("pk")
        ],  # fmt: skip
    }


@pytest.fixture
def ctx(customer, colleague, voucher, outsider, tier1, tier2, submit):
    return {
        "customer": customer, "colleague": colleague, "voucher": voucher, "outsider": outsider,
        "tier1": tier1, "tier2": tier2, "submit": submit,
        "how_to": RequestType.objects.get(desk__key="CSD", key="how-to-question"),
    }  # fmt: skip


def _api_call(user, method: str, path: str, body):
    _token, key = api_token_create(user=user, name="parity")
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    return getattr(client, method)(path, body, content_type="application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_the_portal_and_the_api_do_the_same(row, ctx):
    RequestType.objects.filter(desk__key="CSD", key="general-request").update(needs_approval=row.needs_approval)
    by_portal = ctx["submit"](ctx["customer"], summary="Parity")
    by_api = ctx["submit"](ctx["customer"], summary="Parity")
    if row.setup:
        row.setup(ctx, by_portal)
        row.setup(ctx, by_api)
    before = snapshot(by_api)
    actor = ctx[row.actor]

    browser = Client()
    browser.force_login(actor)
    path, data = row.portal(ctx, by_portal)
    portal = browser.post(path, data)
    method, api_path, body = row.api(ctx, by_api)
    api = _api_call(actor, method, api_path, body)

    if row.refused:
        assert api.status_code == row.refused, api.content
        # The work-items page tells the refusal in a message and goes back to the list.
        expected_portal = 302 if path.startswith("/agent/work-items/") else row.refused
        assert portal.status_code == expected_portal, portal.content[:300]
        assert snapshot(by_api) == before
        assert snapshot(by_portal) == before
    else:
        assert portal.status_code in row.portal_ok, portal.content[:500]
        assert 200 <= api.status_code < 300, api.content
        assert snapshot(by_api) != before, "the API call changed nothing"
        assert snapshot(by_api) == snapshot(by_portal)


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["caller@example.org", "customer@example.org"])
def test_an_agent_files_a_request_on_behalf_the_same_way(ctx, email):
    tier1, request_type = ctx["tier1"], RequestType.objects.get(desk__key="CSD", key="general-request")
    who = {"requester_email": email, "requester_name": "Cal Caller", "channel": "phone"}
    fields = {"summary": "Called about the portal", "description": "Cannot sign in since Monday."}
    browser = Client()
    browser.force_login(tier1)
    portal = browser.post(f"/agent/new/?type={request_type.pk}", {**who, **fields})
    assert portal.status_code == 302, portal.content[:300]
    api = _api_call(
        tier1, "post", f"{API}/requests/on-behalf/", {**who, "request_type": request_type.pk, "fields": fields}
    )
    assert api.status_code == 201, api.content
    by_portal, by_api = Ticket.objects.order_by("pk")
    assert by_api.reference == api.json()["reference"]
    assert snapshot(by_api) == snapshot(by_portal)
    assert (by_api.requester, by_api.created_by, by_api.channel) == (by_portal.requester, tier1, "phone")
    # The same refusals: no name for a new person, a type of another desk, a customer asking.
    del who["requester_name"]
    who["requester_email"] = "new-person@example.org"
    body = {**who, "request_type": request_type.pk, "fields": fields}
    assert browser.post(f"/agent/new/?type={request_type.pk}", {**who, **fields}).status_code == 400
    assert "requester_name" in _api_call(tier1, "post", f"{API}/requests/on-behalf/", body).json()
    assert _api_call(ctx["customer"], "post", f"{API}/requests/on-behalf/", body).status_code == 404
    assert Ticket.objects.count() == 2
