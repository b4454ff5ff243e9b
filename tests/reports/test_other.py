"""The "Other" trend: counts and share, recurring phrases, drafting a type, re-categorising."""

import random

import pytest
from django.urls import reverse

from notifications.models import Notification
from reports.facts import reports_refresh
from reports.filters import ReportFilterForm
from reports.other import other_phrases, phrase_tickets, report_other_trend
from tickets.models import Activity, RequestType, Ticket

pytestmark = pytest.mark.django_db

NOISE = [
    "printer", "calendar", "invoice layout", "training session", "logo upload", "holiday hours", "fax number",
    "visit colours", "spanish letters", "parking permit", "badge photo", "office move", "phone menu",
]  # fmt: skip
TAILS = [".", " since Monday.", " for two of our caregivers.", ", see the attached screen.", " desde ayer.", "!"]
OPENINGS = [
    "Our {t} is not arriving",
    "Question about the {t}",
    "We cannot change the {t}",
    "Ayuda con {t} por favor",
    "The {t} shows the wrong week",
]


@pytest.fixture
def others(submit, customer):
    """30 "Other" requests about direct deposit among 39 about everything else, and 5 about
    direct deposit filed under a proper type (not "Other": they do not count)."""
    rng = random.Random(12)
    topic = []
    for number in range(30):
        summary = rng.choice(["Direct deposit missing", "Problem with direct deposit", "Depósito: direct deposit"])
        description = rng.choice(OPENINGS).format(t="direct deposit") + rng.choice(TAILS)
        topic.append(submit(customer, key="general-request", summary=summary, description=description))
    for number in range(39):
        subject = NOISE[number % len(NOISE)]
        text = rng.choice(OPENINGS).format(t=subject)
        submit(customer, key="general-request", summary=text, description=text + rng.choice(TAILS))
    for _number in range(5):
        submit(customer, key="how-to-question", summary="How do I set up direct deposit?", description="Details.")
    return topic


def scope_for(user, **extra):
    form = ReportFilterForm(extra, user=user)
    assert form.is_valid(), form.errors
    return form.scope()


def test_the_recurring_topic_is_the_top_phrase(others, superuser):
    phrases = other_phrases(scope_for(superuser))
    assert phrases[0].text == "direct deposit"
    assert phrases[0].requests == 30
    # Its words are not repeated on their own below it.
    assert "direct" not in [p.text for p in phrases] and "deposit" not in [p.text for p in phrases]
    # English and Spanish stop words never count as a phrase.
    texts = " ".join(p.text for p in phrases).split()
    assert not {"the", "with", "our", "por", "con"} & set(texts)


def test_a_phrase_lists_exactly_its_other_requests(others, superuser):
    found = phrase_tickets(scope_for(superuser), phrase="direct deposit")
    assert sorted(found.values_list("pk", flat=True)) == sorted(t.pk for t in others)


def test_the_trend_counts_other_requests_and_their_share(others, superuser):
    reports_refresh()
    rows = report_other_trend(scope_for(superuser, period="month")).rows
    assert rows[-1][1:] == [74, 69, 93.2]


def test_the_trend_page_links_each_phrase_to_its_requests(client, others, superuser):
    client.force_login(superuser)
    response = client.get(reverse("reports:other"))
    assert response.status_code == 200
    link = reverse("reports:other_phrase") + "?phrase=direct+deposit"
    assert link in response.content.decode()
    page = client.get(link)
    assert page.status_code == 200 and page.context["count"] == 30
    assert client.get(reverse("reports:other_csv", args=["other_phrases"])).content.decode().splitlines()[1] == (
        "direct deposit,30,60"  # in every summary and every description
    )


def test_an_agent_of_another_desk_sees_none_of_them(client, others, catalogue):
    from accounts.models import User
    from tickets.models import Team

    ccp_agent = User.objects.create_user(email="ccp@example.org", password="pw-for-tests-1", full_name="Cee")
    Team.objects.get(desk__key="CCP", tier=1).members.add(ccp_agent)
    assert other_phrases(scope_for(ccp_agent)) == []
    client.force_login(ccp_agent)
    page = client.get(reverse("reports:other_phrase"), {"phrase": "direct deposit"})
    assert page.context["count"] == 0


def test_an_admin_drafts_an_inactive_type_from_a_phrase_then_moves_the_requests_into_it(client, others, superuser):
    client.force_login(superuser)
    response = client.post(
        reverse("reports:other_draft"), {"phrase": "direct deposit", "draft_desk": "customer-service"}
    )
    draft = RequestType.objects.get(name="Direct deposit")
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:tickets_requesttype_change", args=[draft.pk]
    )
    other = RequestType.objects.get(desk__key="CSD", key="general-request")
    assert (draft.is_active, draft.desk_id, draft.group_id, draft.default_team_id) == (
        False, other.desk_id, other.group_id, other.default_team_id
    )  # fmt: skip
    assert list(draft.fields.values_list("key", "required")) == [("summary", True), ("description", True)]
    assert client.get(response["Location"]).status_code == 200

    # Not into a draft: it must be active first.
    moved = client.post(reverse("reports:other_move"), {"phrase": "direct deposit", "request_type": draft.pk})
    assert moved.status_code == 302
    assert Ticket.objects.filter(request_type=draft).count() == 0

    RequestType.objects.filter(pk=draft.pk).update(is_active=True)
    mails = Notification.objects.count()
    client.post(reverse("reports:other_move"), {"phrase": "direct deposit", "request_type": draft.pk})
    assert set(Ticket.objects.filter(request_type=draft).values_list("pk", flat=True)) == {t.pk for t in others}
    logged = Activity.objects.filter(kind=Activity.Kind.REQUEST_TYPE, ticket__request_type=draft)
    assert logged.count() == 30 and set(logged.values_list("visibility", flat=True)) == {"internal"}
    assert Notification.objects.count() == mails  # nobody is told
    assert other_phrases(scope_for(superuser))[0].text != "direct deposit"


def test_an_agent_who_is_not_a_catalogue_admin_can_neither_draft_nor_move(client, others, tier1):
    client.force_login(tier1)
    page = client.get(reverse("reports:other_phrase"), {"phrase": "direct deposit"})
    assert b"Draft a new request type" not in page.content
    client.post(reverse("reports:other_draft"), {"phrase": "direct deposit", "draft_desk": "customer-service"})
    assert not RequestType.objects.filter(name="Direct deposit").exists()
    target = RequestType.objects.get(desk__key="CSD", key="how-to-question")
    client.post(reverse("reports:other_move"), {"phrase": "direct deposit", "request_type": target.pk})
    assert Ticket.objects.filter(request_type=target).count() == 5


@pytest.mark.parametrize("data", [{}, {"phrase": ""}, {"phrase": "x" * 500}])
def test_a_missing_or_oversized_phrase_is_a_404(client, catalogue, superuser, data):
    client.force_login(superuser)
    assert client.get(reverse("reports:other_phrase"), data).status_code == 404
    assert client.post(reverse("reports:other_draft"), data).status_code == 404


def test_without_ts_stat_the_word_count_finds_the_same_top_phrase(others, superuser):
    """The SQLite fallback: the same counts in Python over the same requests."""
    from reports.other import _phrases_fallback, other_tickets

    found = _phrases_fallback(other_tickets(scope_for(superuser)))
    assert found[0][:2] == ("direct deposit", 30)
