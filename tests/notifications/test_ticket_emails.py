"""Who gets which e-mail about a request, in which language, and how a reply threads back."""

import pytest
from django.urls import reverse

from notifications.models import Notification
from tests.conftest import body_text
from tickets.emails import CATEGORY
from tickets.models import ServiceDesk, Ticket
from tickets.services import (
    participant_set_notify,
    ticket_comment,
    ticket_escalate_tier,
    ticket_transition,
)

pytestmark = pytest.mark.usefixtures("catalogue")


def kinds_to(email):
    return list(Notification.objects.filter(to_email=email).order_by("created_at").values_list("kind", flat=True))


@pytest.mark.django_db(transaction=True)
def test_it_threads_every_request_email_and_replies_go_to_the_desk_mailbox(customer, tier1, smtp, submit):
    ServiceDesk.objects.filter(key="CSD").update(email_address="support@help.example.org")
    ticket = submit(customer, summary="Printer offline")
    ticket_comment(ticket=ticket, author=tier1, body="Is it plugged in?")
    messages = smtp.wait_for(2, timeout=10)
    assert [m["Subject"] for m in messages] == [
        f"[{ticket.reference}] We received your request: Printer offline",
        f"[{ticket.reference}] New comment on Printer offline",
    ]
    root = f"<ticket.{ticket.reference}@helpdesk.local>"
    for message in messages:
        assert message["Reply-To"] == "support@help.example.org"
        assert (message["References"], message["In-Reply-To"]) == (root, root)
        assert message["X-Helpdesk-Reference"] == ticket.reference
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Message-ID"].endswith("@helpdesk.local>")
        assert "your reply is added to the request" in body_text(message)
        assert message.get_body(preferencelist=("html",)) is not None
    ids = {m["Message-ID"].strip() for m in messages}
    assert ids == set(Notification.objects.values_list("message_id", flat=True))


@pytest.mark.django_db
def test_without_a_desk_mailbox_there_is_no_reply_to(customer, submit):
    submit(customer, summary="Printer offline")
    notification = Notification.objects.get()
    assert notification.reply_to == ""
    assert "your reply is added" not in notification.body_text


@pytest.mark.django_db
def test_asking_resolving_and_escalating_each_send_their_own_email(customer, tier1, tier2, submit):
    ticket = submit(customer, summary="Printer offline")
    ticket = ticket_transition(ticket=ticket, action="ask_customer", actor=tier1, note="Which printer model?")
    waiting = Notification.objects.get(kind="waiting_for_customer")
    assert "Which printer model?" in waiting.body_text and "Which printer model?" in waiting.body_html
    ticket_comment(ticket=ticket, author=customer, body="The HP one.")
    ticket.refresh_from_db()
    ticket = ticket_escalate_tier(ticket=ticket, actor=tier1, to_tier=2, reason="Driver bug, internal detail")
    escalated = Notification.objects.get(kind="request_escalated", to_email=customer.email)
    assert "Tier II" in escalated.body_text
    assert "internal detail" not in escalated.body_text + escalated.body_html + escalated.subject
    assert Notification.objects.filter(kind="tier_escalation", to_email=tier2.email).exists()
    ticket_transition(ticket=ticket, action="resolve", actor=tier2, note="Updated the driver.")
    resolved = Notification.objects.get(kind="request_resolved")
    assert resolved.subject == f"[{ticket.reference}] Resolved: Printer offline"
    assert "Updated the driver." in resolved.body_text and "within 14 days" in resolved.body_text
    assert kinds_to(customer.email) == [
        "request_received", "waiting_for_customer", "request_escalated", "request_resolved",
    ]  # fmt: skip
    # The customer's own comment reached nobody on the request but the agents' queue.
    assert not Notification.objects.filter(kind="public_reply", to_email=customer.email).exists()


@pytest.mark.django_db
def test_internal_notes_never_email_customers(customer, colleague, tier1, submit):
    ticket = submit(customer, summary="Printer offline")
    ticket.participants.create(user=colleague, added_by=customer)
    ticket_comment(ticket=ticket, author=tier1, body="internal", internal=True)
    assert not Notification.objects.exclude(kind="request_received").exists()


@pytest.mark.django_db
def test_profile_choices_and_the_request_switch_decide_who_gets_what(client, customer, colleague, tier1, submit):
    ticket = submit(customer, summary="Printer offline")
    ticket.participants.create(user=colleague, added_by=customer)
    client.force_login(customer)
    response = client.post(
        reverse("portal:profile"), {"full_name": customer.full_name, "language": "en", "emails": ["status"]}
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert "comments" in customer.muted_notifications and "status" not in customer.muted_notifications
    participant_set_notify(ticket=ticket, user=colleague, notify=False)
    ticket_comment(ticket=ticket, author=tier1, body="A reply")
    ticket_transition(ticket=ticket, action="start_progress", actor=tier1)
    assert kinds_to(customer.email) == ["request_received", "status_changed"]
    assert kinds_to(colleague.email) == []
    # The confirmation of a new request is always sent: it carries the reference.
    submit(customer, summary="Another")
    assert kinds_to(customer.email)[-1] == "request_received"


@pytest.mark.django_db
def test_the_profile_offers_agent_emails_to_agents_only(client, customer, tier1):
    client.force_login(customer)
    page = client.get(reverse("portal:profile")).content.decode()
    assert "New comments on my requests" in page and "SLA at risk" not in page
    client.force_login(tier1)
    page = client.get(reverse("portal:profile")).content.decode()
    assert "SLA at risk or breached" in page
    client.post(reverse("portal:profile"), {"full_name": tier1.full_name, "language": "en", "emails": []})
    tier1.refresh_from_db()
    assert "sla" in tier1.muted_notifications
    # A customer saving their profile keeps an agent choice they cannot see.
    tier1.muted_notifications = ["sla"]
    tier1.save()
    customer.muted_notifications = ["sla"]
    customer.save()
    client.force_login(customer)
    client.post(reverse("portal:profile"), {"full_name": customer.full_name, "language": "en", "emails": ["comments"]})
    customer.refresh_from_db()
    assert "sla" in customer.muted_notifications


@pytest.mark.django_db
def test_emails_are_in_the_recipients_language(customer, tier1, submit):
    customer.language = "es"
    customer.save()
    ticket = submit(customer, summary="Printer offline")
    ticket_transition(ticket=ticket, action="ask_customer", actor=tier1, note="¿Qué impresora?")
    received = Notification.objects.get(kind="request_received")
    assert received.language == "es" and "Recibimos su solicitud" in received.subject
    waiting = Notification.objects.get(kind="waiting_for_customer")
    assert "Necesitamos" in waiting.subject


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(CATEGORY))
def test_every_request_email_has_a_text_and_an_html_body_with_the_link(kind, customer, tier1, submit):
    from tickets.emails import ticket_email

    ticket = submit(customer, summary="Printer offline")
    Notification.objects.all().delete()
    sample = {"status": "Resolved", "note": "n", "author": "A", "body": "b", "actor": "A", "requester": "R",
              "reason": "r", "due": ticket.created_at, "work_item": "W", "reopen_days": 14}  # fmt: skip
    from tickets.emails import AGENT_KINDS

    user = tier1 if kind in AGENT_KINDS else customer
    assert ticket_email(user=user, kind=kind, ticket=ticket, **sample)
    notification = Notification.objects.get()
    assert ticket.reference in notification.subject
    path = "/agent/tickets/" if user == tier1 else "/requests/"
    assert f"{path}{ticket.reference}/" in notification.body_text
    assert f"{path}{ticket.reference}/" in notification.body_html
    assert notification.body_html.lstrip().startswith("<!doctype html>")
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_agents_alerts_have_a_thread_of_their_own(customer, tier1, tier2, submit):
    from tickets.emails import ticket_thread_parse

    ServiceDesk.objects.filter(key="CSD").update(email_address="support@help.example.org")
    ticket = submit(customer, summary="Printer offline")
    ticket_escalate_tier(ticket=ticket, actor=tier1, to_tier=2, reason="Needs Tier II")
    alert = Notification.objects.get(kind="tier_escalation", to_email=tier2.email)
    customer_mail = Notification.objects.get(kind="request_escalated", to_email=customer.email)
    assert ticket_thread_parse(alert.headers["References"]) == (ticket.reference, True)
    assert alert.headers["X-Helpdesk-Audience"] == "agents" and alert.reply_to == ""
    assert ticket_thread_parse(customer_mail.headers["References"]) == (ticket.reference, False)
    assert "X-Helpdesk-Audience" not in customer_mail.headers
    assert customer_mail.reply_to == "support@help.example.org"
    assert ticket_thread_parse("<ticket.CSD-1@elsewhere.example>") is None


@pytest.mark.django_db
def test_a_customers_comment_reopens_a_resolved_request_within_the_window(settings, customer, tier1, submit):
    from datetime import timedelta

    from django.utils import timezone

    ticket = submit(customer, summary="Printer offline")
    ticket = ticket_transition(ticket=ticket, action="resolve", actor=tier1, note="Fixed.")
    ticket_comment(ticket=ticket, author=customer, body="It is broken again.")
    ticket.refresh_from_db()
    assert ticket.status == "waiting_for_support"
    assert Notification.objects.filter(kind="status_changed", to_email=customer.email).count() == 0  # the actor
    # After the window, a comment stays a comment on the resolved request.
    ticket = ticket_transition(ticket=ticket, action="resolve", actor=tier1)
    Ticket.objects.filter(pk=ticket.pk).update(
        resolved_at=timezone.now() - timedelta(days=settings.REOPEN_WINDOW_DAYS + 1)
    )
    ticket.refresh_from_db()
    ticket_comment(ticket=ticket, author=customer, body="Thanks.")
    ticket.refresh_from_db()
    assert ticket.status == "resolved"


@pytest.mark.django_db
def test_the_automatic_resolution_note_is_in_the_customers_language(customer, tier1, settings, submit):
    from datetime import timedelta

    from django.utils import timezone

    from tickets.clocks import lifecycle_clocks_run

    customer.language = "es"
    customer.save()
    ticket = submit(customer, summary="Printer offline")
    ticket_transition(ticket=ticket, action="ask_customer", actor=tier1, note="¿Qué impresora?")
    Ticket.objects.filter(pk=ticket.pk).update(status_changed_at=timezone.now() - timedelta(days=30))
    assert lifecycle_clocks_run()["auto_resolved"] == 1
    resolved = Notification.objects.get(kind="request_resolved")
    assert resolved.language == "es"
    assert "Resolved because we did not hear back." not in resolved.body_text
