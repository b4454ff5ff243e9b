"""Consistent text: one date and time format per language, recent events as relative time
with the absolute one on hover and focus, people named by name, demo canned responses."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from tickets.models import CannedResponse, ServiceDesk
from tickets.services import ticket_assign

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def render(source: str, **context) -> str:
    return Template("{% load datetimes tickets_tags %}" + source).render(Context(context))


def test_recent_events_read_as_relative_time_with_the_absolute_time_on_hover_and_focus():
    html = render("{{ at|when:now }}", at=NOW - timedelta(hours=3), now=NOW)
    assert ">3\xa0hours ago</time>" in html
    assert 'title="Dec 1, 2026, 9:00 AM"' in html and 'data-tip="Dec 1, 2026, 9:00 AM"' in html  # Chicago time
    assert 'tabindex="0"' in html  # reachable by keyboard, so focus shows the time too
    old = render("{{ at|when:now }}", at=NOW - timedelta(days=40), now=NOW)
    assert ">Oct 22, 2026, 1:00 PM</time>" in old and "title=" not in old
    assert render("{{ at|when:now }}", at=NOW + timedelta(hours=2), now=NOW).count("in 2\xa0hours") == 1
    assert render("{{ at|when:now }}", at=None, now=NOW) == "—"


def test_each_language_has_one_format():
    with translation.override("es"):
        assert render("{{ at|absolute }}", at=NOW) == "1 Dic 2026, 12:00"
        assert "3\xa0horas" in render("{{ at|when:now }}", at=NOW - timedelta(hours=3), now=NOW)
    with translation.override("en"):
        assert render("{{ at|absolute }}", at=NOW) == "Dec 1, 2026, 12:00 PM"


def test_business_durations_read_in_hours_and_minutes():
    assert render("{{ m|business_duration }}", m=45) == "45 min"
    assert render("{{ m|business_duration }}", m=200) == "3 h 20 min"
    assert render("{{ m|business_duration }}", m=-1620) == "27 h"


@pytest.mark.django_db
def test_the_log_names_people_by_name_with_the_address_on_hover_for_agents(client, submit, customer, tier1, tier2):
    ticket = submit(customer)
    ticket_assign(ticket=ticket, actor=tier1, assignee=tier2)
    client.force_login(tier1)
    html = client.get(reverse("agent:ticket_detail", args=[ticket.reference])).content.decode()
    assert 'Assigned the request to <span class="person" title="t2@example.org">Theo Tier Two</span>.' in html
    assert '<span class="person" title="t1@example.org">Tina Tier One</span>' in html  # the actor
    assert "Assigned the request to t2@example.org" not in html
    from tickets.services import ticket_set_priority

    ticket_set_priority(ticket=ticket, actor=tier1, priority=3)
    html = client.get(reverse("agent:ticket_detail", args=[ticket.reference])).content.decode()
    assert "Changed the priority from Medium to High." in html
    queue = client.get(reverse("agent:queue", args=["my-teams"])).content.decode()
    assert '<span class="person" title="customer@example.org">Carla Customer</span>' in queue


@pytest.mark.django_db
def test_the_demo_has_canned_responses_for_every_desk_and_loads_them_once(catalogue):
    from tickets.canned import canned_responses_import

    listed = canned_responses_import()
    assert canned_responses_import() == listed
    assert CannedResponse.objects.count() == listed
    for desk in ServiceDesk.objects.all():
        assert CannedResponse.objects.filter(desk=desk).exists(), desk.key
    assert CannedResponse.objects.filter(desk__isnull=True).exists()
    for canned in CannedResponse.objects.all():
        assert canned.body_es, canned.name  # Spanish-speaking customers get Spanish answers
        for text in (canned.body, canned.body_es):
            # only the documented placeholders
            braces = {part.split("}")[0] for part in text.split("{")[1:]}
            assert braces <= set(CannedResponse.PLACEHOLDERS), (canned.name, braces)


@pytest.mark.django_db
def test_an_agent_inserts_a_demo_answer_with_its_placeholders_filled(client, submit, customer, tier1):
    from tickets.canned import canned_responses_import

    canned_responses_import()
    ticket = submit(customer, summary="Where is my payment")
    canned = CannedResponse.objects.get(desk__key="CSD", name="Payment question answered")
    client.force_login(tier1)
    page = client.post(
        reverse("agent:ticket_reply", args=[ticket.reference]),
        {"canned": canned.pk, "insert": "1", "body": "", "version": ticket.version},
    )
    html = page.content.decode()
    assert "Hello Carla Customer," in html and ticket.reference in html and "Tina Tier One" in html
    assert "{requester_name}" not in html


@pytest.mark.django_db
def test_a_spanish_speaking_agent_reads_the_spanish_format_on_every_page(client, submit, customer, tier1):
    import re

    ticket = submit(customer)
    ticket_assign(ticket=ticket, actor=tier1, assignee=tier1)
    tier1.language = "es"
    tier1.save()
    client.force_login(tier1)
    spanish = re.compile(r'title="\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2}"')
    english = re.compile(r'title="[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2} [AP]M"')
    for url in (reverse("agent:queue", args=["mine"]), reverse("agent:ticket_detail", args=[ticket.reference])):
        html = client.get(url).content.decode()
        assert spanish.search(html) and not english.search(html), url
    client.force_login(customer)
    html = client.get(reverse("portal:request_detail", args=[ticket.reference])).content.decode()
    assert english.search(html) and not spanish.search(html)
