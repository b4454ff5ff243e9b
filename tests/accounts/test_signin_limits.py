"""One sign-in limit for every door (portal, admin, API token endpoint), against attackers and not
people: failures count per canonical account and per client address, successes never count and
clear the account's failures; over the limit every attempt is refused, right password or not."""

import time

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import User
from accounts.ratelimit import address_bucket, client_ip

PASSWORD = "pw-for-tests-1"
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
TOKEN = "/api/v1/auth/token/"


def portal(email, password, ip="198.51.100.7"):
    return Client(REMOTE_ADDR=ip).post(LOGIN, {"username": email, "password": password})


def admin_login(email, password, ip="198.51.100.7"):
    return Client(REMOTE_ADDR=ip).post(ADMIN_LOGIN, {"username": email, "password": password, "next": "/admin/"})


def api_token(email, password, ip="198.51.100.7"):
    return Client(REMOTE_ADDR=ip).post(TOKEN, {"email": email, "password": password}, content_type="application/json")


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


def people(count: int, prefix="colleague") -> list[User]:
    return [
        User.objects.create_user(email=f"{prefix}{n}@example.org", password=PASSWORD, full_name=f"Person {n}")
        for n in range(count)
    ]


@pytest.mark.django_db
def test_one_person_signing_in_15_times_in_a_minute_is_never_refused(customer):
    for _ in range(15):
        assert signed_in(portal(customer.email, PASSWORD))


@pytest.mark.django_db
def test_30_colleagues_behind_one_address_each_mistyping_once_are_never_refused(provider):
    colleagues = people(30)
    for person in colleagues:
        assert portal(person.email, "typo").status_code == 400
        assert signed_in(portal(person.email, PASSWORD))
    for person in colleagues:
        assert signed_in(portal(person.email.upper(), PASSWORD))


@pytest.mark.django_db
def test_11_wrong_passwords_lock_the_account_even_for_the_right_one_until_the_window_passes(customer, settings):
    settings.RATELIMIT_SIGNIN_ACCOUNT = "10/2"
    for _ in range(10):
        assert portal(customer.email, "guess").status_code == 400
    refused = portal(customer.email, "guess")
    assert refused.status_code == 429
    assert b"Too many attempts" in refused.content
    assert refused["Retry-After"] == "2"
    # The right password, even from another address, is refused without being checked.
    assert portal(customer.email, PASSWORD).status_code == 429
    assert portal("Customer@Example.org", PASSWORD, ip="203.0.113.50").status_code == 429
    time.sleep(2.1)
    assert signed_in(portal(customer.email, PASSWORD))


@pytest.mark.django_db
def test_a_success_clears_the_accounts_failures(customer):
    for _ in range(9):
        assert portal(customer.email, "guess").status_code == 400
    assert signed_in(portal(customer.email, PASSWORD))
    for _ in range(9):
        assert portal(customer.email, "guess").status_code == 400
    assert signed_in(portal(customer.email, PASSWORD))


@pytest.mark.django_db
def test_passwords_sprayed_over_60_accounts_from_one_address_are_stopped(provider):
    accounts = people(61, prefix="sprayed")
    answers = [portal(person.email, "Summer2026!").status_code for person in accounts[:60]]
    assert answers[:50] == [400] * 50
    assert set(answers[50:]) == {429}
    # Even the right password of an account never tried is refused from that address ...
    assert portal(accounts[60].email, PASSWORD).status_code == 429
    # ... while its owner, elsewhere, signs in.
    assert signed_in(portal(accounts[60].email, PASSWORD, ip="203.0.113.9"))


@pytest.mark.django_db
def test_the_admin_login_is_limited_the_same_way_and_shares_the_count(superuser):
    assert admin_login(superuser.email, PASSWORD).status_code == 302
    for _ in range(5):
        assert portal(superuser.email, "guess").status_code == 400
    for _ in range(5):
        assert admin_login(superuser.email, "guess").status_code == 200  # the admin re-shows its form
    refused = admin_login(superuser.email, PASSWORD)
    assert refused.status_code == 429
    assert b"Too many attempts" in refused.content
    assert api_token(superuser.email, PASSWORD).status_code == 429


@pytest.mark.django_db
def test_25_wrong_admin_passwords_then_the_right_one_does_not_get_in(superuser):
    """Issue 9: 25 wrong passwords for admin@ at /admin/login/, then the right one worked."""
    for _ in range(25):
        admin_login(superuser.email, "guess")
    response = admin_login(superuser.email, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in response.wsgi_request.session


@pytest.mark.django_db
def test_the_api_token_endpoint_is_limited_the_same_way(customer):
    for _ in range(10):
        assert api_token(customer.email, "guess").status_code == 400
    refused = api_token(customer.email, PASSWORD)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert not customer.api_tokens.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "look_alike", ["sam@kıss-support.example", "sam@kiss-ſupport.example", "ſam@kiss-support.example"]
)
def test_a_look_alike_never_signs_in_as_sam_not_even_after_sams_address_was_limited(look_alike):
    """Issue 9: after sam@'s exact address got 429, its look-alikes signed in as sam."""
    sam = User.objects.create_user(email="sam@kiss-support.example", password=PASSWORD, full_name="Sam")

    def never_sam():
        for door in (portal, admin_login, api_token):
            response = door(look_alike, PASSWORD, ip="203.0.113.77")
            assert response.status_code == 400 or (door is admin_login and response.status_code == 200), door
            assert "_auth_user_id" not in response.wsgi_request.session
        assert not sam.api_tokens.exists()

    never_sam()
    for _ in range(11):
        portal("sam@kiss-support.example", "guess")
    assert portal("sam@kiss-support.example", PASSWORD).status_code == 429
    never_sam()


@pytest.mark.django_db
def test_choosing_a_new_password_through_the_mailed_link_lifts_the_lockout(client, customer):
    from accounts.services import password_reset_url

    for _ in range(11):
        portal(customer.email, "guess")
    assert portal(customer.email, PASSWORD).status_code == 429
    link = password_reset_url(user=customer).removeprefix("http://testserver")
    form = client.get(link, follow=True)
    new = "a-brand-new-password-77"
    assert client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}).status_code == 302
    assert signed_in(portal(customer.email, new))


@pytest.mark.django_db
def test_the_limit_fails_open_when_the_cache_is_down(customer, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    started = time.monotonic()
    assert portal(customer.email, "guess").status_code == 400
    assert signed_in(portal(customer.email, PASSWORD))
    assert api_token(customer.email, PASSWORD).status_code == 201
    assert time.monotonic() - started < 5


# --- Which address is the client's ---------------------------------------------------------------


def _request(remote="10.0.0.2", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_the_client_address_is_remote_addr_unless_proxies_are_trusted(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(forwarded="203.0.113.1")) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 1
    # The client may write anything on the left; our proxy appends what it saw on the right.
    assert client_ip(_request(forwarded="1.2.3.4, 203.0.113.1")) == "203.0.113.1"
    assert client_ip(_request(forwarded="203.0.113.1")) == "203.0.113.1"
    assert client_ip(_request()) == "10.0.0.2"
    assert client_ip(_request(forwarded="not-an-address")) == "10.0.0.2"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(forwarded="1.2.3.4, 203.0.113.1, 10.0.0.9")) == "203.0.113.1"


def test_ipv6_clients_are_counted_by_their_64():
    assert address_bucket("2001:db8:1:2::5") == address_bucket("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert address_bucket("::ffff:192.0.2.4") == "192.0.2.4"
    assert address_bucket("192.0.2.4") == "192.0.2.4"


@pytest.mark.django_db
def test_a_forged_forwarded_header_does_not_escape_the_address_limit(provider, settings):
    settings.RATELIMIT_SIGNIN_ADDRESS = "5/900"
    accounts = people(7, prefix="forged")

    def attempt(person, forwarded):
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded).post(
            LOGIN, {"username": person.email, "password": "guess"}
        )

    assert [attempt(p, f"203.0.113.{n}").status_code for n, p in enumerate(accounts[:6])] == [400] * 5 + [429]
    # Behind one trusted proxy, the addresses it reports are clients of their own.
    settings.TRUSTED_PROXY_COUNT = 1
    assert attempt(accounts[6], "203.0.113.200").status_code == 400


@pytest.mark.django_db
def test_it_signs_in_with_the_address_in_any_case_through_every_door(superuser):
    assert signed_in(portal("ROOT@Example.ORG", PASSWORD))
    assert admin_login("Root@example.org", PASSWORD).status_code == 302
    response = api_token("ROOT@EXAMPLE.ORG", PASSWORD)
    assert response.status_code == 201 and response.json()["token"]
    assert reverse("api:token_obtain") == TOKEN
