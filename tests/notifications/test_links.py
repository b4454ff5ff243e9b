"""Links in e-mail point where the help desk is served (notifications/links.py)."""

import pytest
from django.urls import reverse

from accounts.services import signup_link_send
from notifications import links
from notifications.checks import check_site_url
from notifications.models import Notification


@pytest.fixture
def unlearned(monkeypatch):
    monkeypatch.setattr(links, "_learned", "")


@pytest.mark.django_db
def test_it_mails_links_to_the_configured_site(settings, unlearned):
    settings.SITE_URL = "https://help.example.org/"
    signup_link_send(email="new@example.org", language="en")
    assert "https://help.example.org/accounts/signup/" in Notification.objects.get().body_text


@pytest.mark.django_db
def test_in_development_it_takes_the_first_requests_host(client, settings, unlearned, caplog):
    settings.SITE_URL = ""
    settings.DEBUG = True
    client.get(reverse("accounts:login"), HTTP_HOST="localhost:8811")
    assert links.site_url() == "http://localhost:8811"
    assert "SITE_URL is not set" in caplog.text
    client.get(reverse("accounts:login"), HTTP_HOST="127.0.0.1:9999")
    assert links.site_url() == "http://localhost:8811"


@pytest.mark.django_db
def test_in_production_the_first_request_decides_nothing(client, settings, unlearned):
    settings.SITE_URL = ""
    settings.DEBUG = False
    client.get(reverse("accounts:login"), HTTP_HOST="testserver")
    assert links.site_url() == links.FALLBACK
    assert [w.id for w in check_site_url()] == ["notifications.W001"]
    settings.SITE_URL = "https://help.example.org"
    assert check_site_url() == []
