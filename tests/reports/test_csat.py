"""The satisfaction survey: asked once per resolution, answered once, by link or on the page."""

import re

import pytest
from django.urls import reverse

from notifications.models import Notification
from reports.csat import survey_token
from reports.filters import ReportFilterForm
from reports.models import SatisfactionSurvey
from reports.selectors_feedback import report_csat
from tickets.models import ServiceDesk
from tickets.services import ticket_transition

pytestmark = pytest.mark.django_db
LINK = re.compile(r"^([1-5]): (http://testserver/satisfaction/\S+)$", re.MULTILINE)


@pytest.fixture
def resolved(submit, customer, tier1):
    ticket = submit(customer, summary="Cannot print the roster")
    return ticket_transition(ticket=ticket, action="resolve", actor=tier1)


def links_of(ticket) -> dict[int, str]:
    mail = Notification.objects.filter(kind="request_resolved", subject__contains=ticket.reference).latest("created_at")
    return {int(score): url.removeprefix("http://testserver") for score, url in LINK.findall(mail.body_text)}


def test_resolving_asks_once_with_a_link_per_score_in_the_email(resolved):
    assert SatisfactionSurvey.objects.filter(ticket=resolved).count() == 1
    links = links_of(resolved)
    assert sorted(links) == [1, 2, 3, 4, 5]
    html = Notification.objects.get(kind="request_resolved").body_html
    assert all(url in html for url in links.values())


def test_a_link_opens_its_score_without_signing_in_and_takes_one_answer(client, resolved):
    link = links_of(resolved)[4]
    page = client.get(link)
    assert page.status_code == 200
    assert re.search(r'<input[^>]*value="4"[^>]*checked', page.content.decode())
    assert SatisfactionSurvey.objects.get().answered_at is None  # opening the link is not answering
    done = client.post(link, {"score": "4", "comment": "Quick and kind."})
    assert done.status_code == 200 and b"Thank you" in done.content
    survey = SatisfactionSurvey.objects.get()
    assert (survey.score, survey.comment, survey.answered_by) == (4, "Quick and kind.", None)

    again = client.get(links_of(resolved)[1])
    assert again.status_code == 409 and b"already been rated" in again.content
    assert client.post(link, {"score": "1"}).status_code == 409
    assert SatisfactionSurvey.objects.get().score == 4


def test_an_expired_link_is_refused_with_a_clear_page(client, resolved, settings):
    settings.CSAT_LINK_MAX_AGE_DAYS = -1
    response = client.get(links_of(resolved)[5])
    assert response.status_code == 410 and b"expired" in response.content
    assert client.post(links_of(resolved)[5], {"score": "5"}).status_code == 410
    assert SatisfactionSurvey.objects.get().answered_at is None


@pytest.mark.parametrize("change", [lambda t: t[:-3] + "abc", lambda t: t[:10] + t[11:], lambda t: "x" + t])
def test_a_tampered_link_is_refused(client, resolved, change):
    reference, token = links_of(resolved)[5].strip("/").split("/")[1:3]
    response = client.get(reverse("csat_answer", args=[reference, change(token)]))
    assert response.status_code == 400 and b"not valid" in response.content


def test_a_link_of_another_request_is_refused(client, resolved, submit, customer, tier1):
    other = ticket_transition(ticket=submit(customer, summary="Another"), action="resolve", actor=tier1)
    token = links_of(resolved)[3].strip("/").split("/")[2]
    response = client.get(reverse("csat_answer", args=[other.reference, token]))
    assert response.status_code == 400 and b"another request" in response.content
    forged = survey_token(survey=SatisfactionSurvey.objects.get(ticket=other), score=9)
    assert client.get(reverse("csat_answer", args=[other.reference, forged])).status_code == 400


def test_reopening_withdraws_the_question_and_resolving_again_asks_again(client, resolved, customer, tier1):
    first_links = links_of(resolved)
    ticket = ticket_transition(ticket=resolved, action="reopen", actor=customer)
    response = client.get(first_links[2])
    assert response.status_code == 409 and b"reopened" in response.content
    ticket = ticket_transition(ticket=ticket, action="resolve", actor=tier1)
    assert SatisfactionSurvey.objects.filter(ticket=ticket).count() == 2
    second_links = links_of(ticket)
    assert second_links[2] != first_links[2]
    assert client.post(second_links[2], {"score": "2"}).status_code == 200
    assert client.get(first_links[2]).status_code == 409


def test_the_request_page_asks_and_takes_one_rating(client, resolved, customer, colleague, tier1):
    client.force_login(customer)
    page = client.get(reverse("portal:request_detail", args=[resolved.reference]))
    assert b"How did we do?" in page.content
    rate = reverse("csat_rate", args=[resolved.reference])
    assert client.post(rate, {"score": "7"}).status_code == 302
    assert SatisfactionSurvey.objects.get().answered_at is None
    client.post(rate, {"score": "5", "comment": "Thanks!"})
    client.post(rate, {"score": "1"})
    assert SatisfactionSurvey.objects.get().score == 5
    page = client.get(reverse("portal:request_detail", args=[resolved.reference]))
    assert b"You rated this resolution 5 out of 5" in page.content
    assert client.post(links_of(resolved)[1].removesuffix("/") + "/", {"score": "1"}).status_code == 409
    # Someone who may not see the request cannot rate it; the agents see the rating.
    client.force_login(colleague)
    assert client.post(rate, {"score": "1"}).status_code == 404
    client.force_login(tier1)
    agent_page = client.get(reverse("agent:ticket_detail", args=[resolved.reference]))
    assert b"Customer's rating" in agent_page.content and b"5 out of 5" in agent_page.content
    assert b"Thanks!" in agent_page.content


def test_a_desk_can_turn_the_survey_off(submit, customer, tier1):
    ServiceDesk.objects.filter(key="CSD").update(csat_enabled=False)
    ticket = ticket_transition(ticket=submit(customer), action="resolve", actor=tier1)
    assert not SatisfactionSurvey.objects.filter(ticket=ticket).exists()
    assert links_of(ticket) == {}


def test_the_report_counts_asked_answered_and_the_average(client, submit, customer, tier1, superuser):
    tickets = [
        ticket_transition(ticket=submit(customer, summary=f"R{n}"), action="resolve", actor=tier1) for n in range(4)
    ]
    for ticket, score in zip(tickets[:3], (5, 4, 2), strict=True):
        client.post(links_of(ticket)[score], {"score": str(score), "comment": "ok" if score == 2 else ""})
    form = ReportFilterForm({}, user=superuser)
    assert form.is_valid()
    summary, distribution, comments = report_csat(form.scope())
    assert summary.text_rows == [["4", "3", "75.0", "3.7"]]
    assert distribution.column(1) == [0, 1, 0, 1, 1]
    assert comments.rows[0][:2] == [tickets[2].reference, 2]
