"""The satisfaction survey through the API: the same rules as the request page."""

import pytest

from reports.models import SatisfactionSurvey
from tickets.services import ticket_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def resolved(submit, customer, tier1):
    return ticket_transition(ticket=submit(customer, summary="Cannot print"), action="resolve", actor=tier1)


def url(ticket) -> str:
    return f"/api/v1/requests/{ticket.reference}/rating/"


def test_the_requester_rates_a_resolution_once(client, resolved, customer):
    client.force_login(customer)
    assert client.get(url(resolved)).json() == {"waiting": True, "current": None, "ratings": []}
    answer = client.post(url(resolved), {"score": 4, "comment": "Kind."}, content_type="application/json")
    assert answer.status_code == 201
    assert answer.json()["current"]["score"] == 4 and answer.json()["waiting"] is False
    survey = SatisfactionSurvey.objects.get(ticket=resolved)
    assert (survey.score, survey.comment, survey.answered_by) == (4, "Kind.", customer)
    again = client.post(url(resolved), {"score": 1}, content_type="application/json")
    assert again.status_code == 409 and "already been rated" in again.json()["detail"]
    assert SatisfactionSurvey.objects.get(ticket=resolved).score == 4


def test_bad_scores_are_field_errors_and_an_open_request_is_not_rated(client, submit, customer, resolved):
    client.force_login(customer)
    for body in ({"score": 6}, {"score": "x"}, {}):
        response = client.post(url(resolved), body, content_type="application/json")
        assert response.status_code == 400 and "score" in response.json(), body
    open_request = submit(customer, summary="Still open")
    assert client.post(url(open_request), {"score": 5}, content_type="application/json").status_code == 409
    assert not SatisfactionSurvey.objects.filter(answered_at__isnull=False).exists()


def test_agents_read_every_rating_but_do_not_rate(client, resolved, customer, tier1):
    client.force_login(customer)
    client.post(url(resolved), {"score": 5}, content_type="application/json")
    client.force_login(tier1)
    body = client.get(url(resolved)).json()
    assert [r["score"] for r in body["ratings"]] == [5]
    assert client.post(url(resolved), {"score": 1}, content_type="application/json").status_code == 403


def test_people_who_cannot_see_the_request_get_404(client, resolved, outsider):
    client.force_login(outsider)
    assert client.get(url(resolved)).status_code == 404
    assert client.post(url(resolved), {"score": 1}, content_type="application/json").status_code == 404
    assert client.logout() is None
    assert client.get(url(resolved)).status_code == 401
