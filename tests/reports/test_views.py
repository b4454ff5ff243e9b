"""The dashboard page and its CSV downloads."""

import csv
import io
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.facts import reports_refresh

from .fixtures import WEEK_QUERY

pytestmark = pytest.mark.django_db


class TableReader(HTMLParser):
    """The text of every <table data-report=...>, row by row (header row first)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._key = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-report" in attrs:
            self._key = attrs["data-report"]
            self.tables[self._key] = []
        elif self._key and tag == "tr":
            self.tables[self._key].append([])
        elif self._key and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._key = None
        elif self._key and tag in ("td", "th") and self._cell is not None:
            self.tables[self._key][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables_of(response) -> dict[str, list[list[str]]]:
    reader = TableReader()
    reader.feed(response.content.decode())
    return reader.tables


def test_it_shows_every_report_with_a_chart_and_its_table(client, refreshed, superuser):
    client.force_login(superuser)
    response = client.get(reverse("reports:dashboard"), WEEK_QUERY)
    assert response.status_code == 200
    tables = tables_of(response)
    for key in ("volume", "sla_desk", "sla_type", "channels", "organizations", "sites", "workload_agents",
                "workload_teams", "workload_resolved"):  # fmt: skip
        assert key in tables, key
    assert tables["volume"][1] == ["2026-11-02", "2", "1"]
    body = response.content.decode()
    assert 'id="chart-volume-title"' in body and "<svg" in body
    assert "Figures as of" in body


@pytest.mark.parametrize("key", ["volume", "sla_type", "channels", "workload_resolved", "organizations"])
def test_the_csv_equals_the_table_on_screen(client, refreshed, superuser, key):
    client.force_login(superuser)
    page = tables_of(client.get(reverse("reports:dashboard"), WEEK_QUERY))[key]
    response = client.get(reverse("reports:csv", args=[key]), WEEK_QUERY)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == page


def test_the_number_of_queries_does_not_grow_with_the_requests(client, week, superuser, submit, customer):
    client.force_login(superuser)
    reports_refresh(full=True)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("reports:dashboard")).status_code == 200
    for number in range(12):
        submit(customer, summary=f"More work {number}", organization=None)
    reports_refresh()
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("reports:dashboard")).status_code == 200
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"date_from": "2026-11-09", "date_to": "2026-11-02"}, "date_from"),
        ({"date_from": "not a date"}, "date_from"),
        ({"date_from": "2020-01-01", "date_to": "2026-11-02", "period": "day"}, "date_from"),
        ({"desk": "no-such-desk"}, "desk"),
        ({"channel": "pigeon"}, "channel"),
        ({"request_type": "abc"}, "request_type"),
    ],
)
def test_bad_filters_get_a_message_at_the_field_and_a_400(client, catalogue, superuser, query, field):
    client.force_login(superuser)
    response = client.get(reverse("reports:dashboard"), query)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert client.get(reverse("reports:csv", args=["volume"]), query).status_code == 400


def test_customers_and_strangers_get_a_404(client, catalogue, customer):
    assert client.get(reverse("reports:dashboard")).status_code == 302  # to sign in
    client.force_login(customer)
    assert client.get(reverse("reports:dashboard")).status_code == 404
    assert client.get(reverse("reports:csv", args=["volume"])).status_code == 404


def test_an_unknown_table_is_a_404(client, catalogue, superuser):
    client.force_login(superuser)
    assert client.get(reverse("reports:csv", args=["nothing"])).status_code == 404


def test_without_a_beat_the_page_brings_stale_figures_up_to_date(client, week, superuser, settings):
    settings.REPORTS_REFRESH_ON_VIEW = True
    client.force_login(superuser)
    response = client.get(reverse("reports:dashboard"), WEEK_QUERY)
    assert tables_of(response)["volume"][1] == ["2026-11-02", "2", "1"]
    assert "Figures as of" in response.content.decode()
