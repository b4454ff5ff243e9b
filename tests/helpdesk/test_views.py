"""Where signing in leads (helpdesk/views.py landing)."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "where"), [("customer", "portal:home"), ("tier1", "agent:home")])
def test_it_lands_agents_on_their_queues_and_customers_on_the_help_center(client, request, who, where):
    request.getfixturevalue(who)
    response = client.post(reverse("accounts:login"), {"username": request.getfixturevalue(who).email,
                                                       "password": "pw-for-tests-1"})  # fmt: skip
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == reverse(where)


@pytest.mark.django_db
def test_an_asked_for_page_still_wins(client, tier1):
    url = reverse("accounts:login") + "?next=" + reverse("portal:profile")
    response = client.post(url, {"username": tier1.email, "password": "pw-for-tests-1"})
    assert response["Location"] == reverse("portal:profile")


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "where"), [("customer", "portal:home"), ("tier1", "agent:home")])
def test_opening_the_sites_address_lands_agents_on_their_queues(client, request, who, where):
    user = request.getfixturevalue(who)
    login = client.get("/")
    assert login.status_code == 302 and login["Location"] == reverse("accounts:login") + "?next=/"
    response = client.post(login["Location"], {"username": user.email, "password": "pw-for-tests-1"})
    assert client.get(response["Location"])["Location"] == reverse(where)
