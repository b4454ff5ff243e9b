"""API hygiene: tokens kept as a hash and shown once, expiring and revocable, self-service on the
profile page and at POST /api/v1/auth/token/; throttling per user and per address; deactivating a
user ends their sessions and tokens at once."""

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.api_tokens import api_token_create
from accounts.models import ApiToken, User, UserSession

API = "/api/v1"
PASSWORD = "pw-for-tests-1"


def api_get(key, keyword="Token", ip="198.51.100.7"):
    return Client(REMOTE_ADDR=ip).get(f"{API}/requests/", HTTP_AUTHORIZATION=f"{keyword} {key}")


@pytest.mark.django_db
def test_the_token_endpoint_returns_a_key_once_and_keeps_only_its_hash(customer):
    response = Client().post(
        f"{API}/auth/token/", {"email": "Customer@Example.org", "password": PASSWORD, "name": "nightly export"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    key = response.json()["token"]
    token = ApiToken.objects.get(user=customer)
    assert token.name == "nightly export"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(list(ApiToken.objects.values()))
    assert response.json()["key_prefix"] == key[:8] == token.key_prefix
    assert token.expires_at - token.created_at == timedelta(days=90)
    assert api_get(key).status_code == 200
    assert api_get(key, keyword="Bearer").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db
def test_wrong_credentials_get_no_token(customer):
    response = Client().post(
        f"{API}/auth/token/", {"email": customer.email, "password": "nope"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert not ApiToken.objects.exists()
    response = Client().post(f"{API}/auth/token/", {"email": "x@kiss-ſupport.example", "password": "nope"},
                             content_type="application/json")  # fmt: skip
    assert response.status_code == 400 and "email" in response.json()


@pytest.mark.django_db
def test_expired_revoked_and_inactive_users_tokens_are_refused(customer, colleague, outsider):
    expired, expired_key = api_token_create(user=customer, name="old")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    revoked, revoked_key = api_token_create(user=colleague, name="gone")
    ApiToken.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    _token, inactive_key = api_token_create(user=outsider, name="left")
    User.objects.filter(pk=outsider.pk).update(is_active=False)

    for key in (expired_key, revoked_key, inactive_key, expired_key[:-1] + "x", "", "a" * 300):
        response = api_get(key)
        assert response.status_code == 401, key
        assert response["WWW-Authenticate"] == "Token"


@pytest.mark.django_db
def test_a_person_makes_lists_and_revokes_their_tokens_on_the_profile_page(client, customer, colleague):
    _theirs, _key = api_token_create(user=colleague, name="colleague's script")
    client.force_login(customer)
    assert client.get(reverse("accounts:token_create")).status_code == 200
    wrong = client.post(reverse("accounts:token_create"), {"name": "reports", "password": "not it"})
    assert wrong.status_code == 400 and b"This is not your password" in wrong.content
    created = client.post(reverse("accounts:token_create"), {"name": "reports", "password": PASSWORD})
    assert created.status_code == 201
    assert "no-store" in created["Cache-Control"]
    key = created.context["key"]
    assert key.encode() in created.content
    assert api_get(key).status_code == 200

    profile = client.get(reverse("portal:profile")).content.decode()
    token = ApiToken.objects.get(user=customer)
    assert "reports" in profile and f"{token.key_prefix}…" in profile
    assert key not in profile
    assert "colleague's script" not in profile

    other = ApiToken.objects.get(user=colleague)
    assert client.post(reverse("accounts:token_revoke", args=[other.pk])).status_code == 404
    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 302
    assert api_get(key).status_code == 401
    other.refresh_from_db()
    assert other.revoked_at is None


@pytest.mark.django_db
def test_the_admin_lists_tokens_without_their_secret_and_revokes_them(client, superuser, customer):
    token, key = api_token_create(user=customer, name="integration")
    client.force_login(superuser)
    listing = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    page = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk])).content.decode()
    assert "integration" in listing and token.key_prefix in listing
    assert key not in listing + page and token.key_hash not in listing + page
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    response = client.post(
        reverse("admin:accounts_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    assert api_get(key).status_code == 401


@pytest.mark.django_db
def test_the_api_throttles_per_user_and_per_address_with_retry_after(customer, colleague, settings):
    settings.API_THROTTLE_USER = "5/min"
    settings.API_THROTTLE_ADDRESS = "8/min"
    _t, mine = api_token_create(user=customer, name="mine")
    _t, theirs = api_token_create(user=colleague, name="theirs")
    assert [api_get(mine).status_code for _ in range(5)] == [200] * 5
    limited = api_get(mine)
    assert limited.status_code == 429
    assert 0 < int(limited["Retry-After"]) <= 60
    # Same user from another address: still the user's limit.
    assert api_get(mine, ip="203.0.113.5").status_code == 429
    # Another user from another address is unaffected.
    assert api_get(theirs, ip="203.0.113.6").status_code == 200
    # One address with many users is capped by the address limit (5 + 1 + 2 so far here: 3 left).
    assert [api_get(theirs).status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.django_db
def test_the_throttles_fail_open_when_the_cache_is_down(customer, settings):
    settings.API_THROTTLE_USER = "1/min"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    _t, key = api_token_create(user=customer, name="mine")
    assert [api_get(key).status_code for _ in range(3)] == [200] * 3


# --- Deactivation -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_deactivating_a_user_in_the_admin_ends_their_sessions_and_tokens_at_once(client, superuser, customer):
    browser = Client()
    assert (
        browser.post(reverse("accounts:login"), {"username": customer.email, "password": PASSWORD}).status_code == 302
    )
    assert browser.get(reverse("portal:home")).status_code == 200
    assert UserSession.objects.filter(user_id=customer.pk).count() == 1
    _token, key = api_token_create(user=customer, name="script")
    assert api_get(key).status_code == 200

    client.force_login(superuser)
    change = reverse("admin:accounts_user_change", args=[customer.pk])
    form = client.get(change).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "password"}
    data.update(is_active="", groups=[], user_permissions=[], muted_notifications="[]")
    data["date_joined_0"], data["date_joined_1"] = customer.date_joined.strftime("%Y-%m-%d"), "00:00:00"
    data["last_login_0"], data["last_login_1"] = "", ""
    response = client.post(change, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors

    assert not UserSession.objects.filter(user_id=customer.pk).exists()
    assert browser.get(reverse("portal:home")).status_code == 302
    assert api_get(key).status_code == 401
    # Turned back on, the account starts afresh: the old session and token stay dead.
    User.objects.filter(pk=customer.pk).update(is_active=True)
    assert browser.get(reverse("portal:home")).status_code == 302
    assert api_get(key).status_code == 401


@pytest.mark.django_db
def test_the_admin_action_deactivates_and_ends_access(client, superuser, customer, colleague):
    _token, key = api_token_create(user=customer, name="script")
    browser = Client()
    browser.force_login(colleague)
    client.force_login(superuser)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [customer.pk, colleague.pk]},
    )
    assert response.status_code == 302
    assert set(User.objects.filter(is_active=False).values_list("pk", flat=True)) == {customer.pk, colleague.pk}
    assert api_get(key).status_code == 401
    User.objects.filter(pk=colleague.pk).update(is_active=True)
    assert browser.get(reverse("portal:home")).status_code == 302


@pytest.mark.django_db
def test_a_person_keeps_at_most_a_few_usable_tokens(customer, settings):
    settings.API_TOKEN_MAX_PER_USER = 2
    api_token_create(user=customer, name="a")
    api_token_create(user=customer, name="b")
    response = Client().post(
        f"{API}/auth/token/", {"email": customer.email, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 400 and "too many tokens" in response.json()["detail"]
