"""POST /api/v1/auth/token/: the sign-in limit, one answer whether or not the address has an
account, and the key shown once."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.api_tokens import api_token_create
from accounts.models import ApiToken

TOKEN = "/api/v1/auth/token/"


def _obtain(email: str, password: str, ip: str = "198.51.100.20"):
    return Client(REMOTE_ADDR=ip).post(TOKEN, {"email": email, "password": password}, content_type="application/json")


@pytest.mark.django_db
def test_an_unknown_address_gets_the_same_answer_as_a_wrong_password(customer):
    wrong = _obtain(customer.email, "not the password")
    unknown = _obtain("nobody-here@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_the_token_endpoint_shares_the_sign_in_limit(customer, settings):
    settings.RATELIMIT_SIGNIN_ACCOUNT = "3/300"
    for _ in range(3):
        assert _obtain(customer.email, "wrong").status_code == 400
    limited = _obtain(customer.email, "pw-for-tests-1")
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert "detail" in limited.json()
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_the_profile_page_lists_each_tokens_name_dates_and_last_use(client, customer):
    token, _key = api_token_create(user=customer, name="nightly export")
    client.force_login(customer)
    page = client.get(reverse("portal:profile")).content.decode()
    assert "nightly export" in page
    assert "Created" in page and "Expires" in page and "Last used" in page
    assert token.key_prefix in page
