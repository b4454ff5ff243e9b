"""Knowledge-base deflection: the request form's visit is followed through suggestions, an opened
article and the form sent, and the report counts visits."""

import uuid

import pytest
from django.urls import reverse

from kb.demo import DEMO_ARTICLES, articles_import, articles_load_file
from reports.filters import ReportFilterForm
from reports.models import DeflectionEvent
from reports.selectors_feedback import report_deflection

pytestmark = pytest.mark.django_db
FORM_URL = reverse("portal:request_create", args=["child-care-provider", "other-issue"])
SUGGEST_URL = reverse("kb:suggest")


@pytest.fixture
def articles(catalogue):
    articles_import(data=articles_load_file(DEMO_ARTICLES))


def visit_of(client) -> str:
    return str(client.get(FORM_URL).context["visit"])


def suggest(client, visit, text="attendance CCMS"):
    return client.get(SUGGEST_URL, {"q": text, "desk": "child-care-provider", "visit": visit}).json()["articles"]


def send(client, visit):
    data = {"summary": "Attendance does not reach CCMS", "description": "x" * 120, "visit": visit}
    return client.post(FORM_URL, data)


def test_it_follows_a_visit_from_suggestion_to_opened_to_sent(client, articles, customer, superuser):
    client.force_login(customer)
    # Left after reading: suggested, opened, never sent.
    left = visit_of(client)
    found = suggest(client, left)
    assert found and all(f"visit={left}" in a["url"] for a in found)
    assert client.get(found[0]["url"]).status_code == 200
    # Read and sent anyway.
    sent = visit_of(client)
    client.get(suggest(client, sent)[0]["url"])
    assert send(client, sent).status_code == 302
    # Sent without opening anything; suggestions shown twice count once.
    blind = visit_of(client)
    suggest(client, blind)
    suggest(client, blind)
    assert send(client, blind).status_code == 302
    # No suggestion at all: not a visit of the report.
    assert send(client, visit_of(client)).status_code == 302

    form = ReportFilterForm({}, user=superuser)
    assert form.is_valid()
    rows = report_deflection(form.scope()).rows
    assert [row[1] for row in rows] == [3, 2, 1, 1, 2]
    assert rows[2][2] == 33.3


def test_a_forged_visit_id_records_nothing(client, articles, customer):
    client.force_login(customer)
    suggest(client, "not-a-uuid")
    suggest(client, "'; drop table x; --")
    assert DeflectionEvent.objects.count() == 0
    assert send(client, str(uuid.uuid4())).status_code == 302
    assert DeflectionEvent.objects.filter(kind="submitted").count() == 1
