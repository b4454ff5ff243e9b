import re

import pytest
from django.core import signing
from django.urls import reverse

from accounts.models import User
from accounts.services import SIGNUP_SALT, signup_token_make
from tests.conftest import body_text

LINK = re.compile(r"http://testserver(/accounts/signup/[^/\s]+/)")
RESET_LINK = re.compile(r"http://testserver(/accounts/password-reset/[^\s]+/)")
PASSWORD = "correct-horse-battery-42"


def _signup_link(message) -> str:
    match = LINK.search(body_text(message))
    assert match, body_text(message)
    return match.group(1)


@pytest.mark.django_db(transaction=True)
def test_it_registers_through_the_mailed_link(client, smtp):
    response = client.post(reverse("accounts:signup"), {"email": "New.Person@Example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:signup_sent")
    assert b"Check your e-mail" in client.get(response["Location"]).content

    (message,) = smtp.wait_for(1)
    assert message["To"] == "new.person@example.org"
    assert message["Message-ID"]
    assert message.get_body(preferencelist=("html",)) is not None
    link = _signup_link(message)

    page = client.get(link)
    assert page.status_code == 200
    assert b"new.person@example.org" in page.content

    response = client.post(link, {"full_name": "Nia Newcomer", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    home = client.get(reverse("portal:home"))
    assert home.status_code == 200
    assert b"Welcome, Nia" in home.content
    user = User.objects.get(email="new.person@example.org")
    assert user.full_name == "Nia Newcomer"
    assert user.check_password(PASSWORD)


@pytest.mark.django_db(transaction=True)
def test_it_shows_the_same_page_for_a_known_address_and_mails_a_sign_in_note(client, smtp):
    User.objects.create_user(email="known@example.org", password=PASSWORD, full_name="Kim Known")
    known = client.post(reverse("accounts:signup"), {"email": "known@example.org"}, follow=True)
    unknown = client.post(reverse("accounts:signup"), {"email": "unknown@example.org"}, follow=True)

    def page(response, address):
        text = response.content.decode().replace(address, "ADDRESS")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert page(known, "known@example.org") == page(unknown, "unknown@example.org")
    messages = smtp.wait_for(2)
    by_recipient = {m["To"]: m for m in messages}
    assert "already has an account" in body_text(by_recipient["known@example.org"])
    assert LINK.search(body_text(by_recipient["unknown@example.org"]))
    assert not LINK.search(body_text(by_recipient["known@example.org"]))


@pytest.mark.django_db
def test_it_refuses_a_tampered_link(client):
    token = signup_token_make(email="someone@example.org")
    response = client.get(reverse("accounts:signup_confirm", args=[token[:-3] + "abc"]))
    assert response.status_code == 400
    assert b"This link is not valid" in response.content
    assert reverse("accounts:signup").encode() in response.content


@pytest.mark.django_db
def test_it_refuses_an_expired_link_and_offers_a_new_one(client, settings):
    token = signup_token_make(email="late@example.org")
    settings.SIGNUP_LINK_MAX_AGE_SECONDS = -1
    response = client.get(reverse("accounts:signup_confirm", args=[token]))
    assert response.status_code == 410
    assert b"expired" in response.content
    assert reverse("accounts:signup").encode() in response.content
    response = client.post(
        reverse("accounts:signup_confirm", args=[token]),
        {"full_name": "Late", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 410
    assert not User.objects.filter(email="late@example.org").exists()


@pytest.mark.django_db
def test_it_refuses_a_used_link(client):
    token = signup_token_make(email="twice@example.org")
    url = reverse("accounts:signup_confirm", args=[token])
    first = client.post(url, {"full_name": "Tess Twice", "password1": PASSWORD, "password2": PASSWORD})
    assert first.status_code == 302
    client.logout()
    second = client.get(url)
    assert second.status_code == 410
    assert b"already been used" in second.content
    assert User.objects.filter(email="twice@example.org").count() == 1


@pytest.mark.django_db
def test_it_refuses_a_link_signed_for_another_purpose(client):
    token = signing.dumps({"email": "x@example.org"}, salt="something-else")
    assert client.get(reverse("accounts:signup_confirm", args=[token])).status_code == 400
    assert SIGNUP_SALT != "something-else"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", b"too short"),
        ("password123", b"too common"),
        ("83749283749823", b"entirely numeric"),
    ],
)
def test_it_runs_passwords_through_the_validators(client, password, message):
    url = reverse("accounts:signup_confirm", args=[signup_token_make(email="weak@example.org")])
    response = client.post(url, {"full_name": "Wes Weak", "password1": password, "password2": password})
    assert response.status_code == 400
    assert message in response.content
    assert not User.objects.filter(email="weak@example.org").exists()


@pytest.mark.django_db
def test_it_keeps_the_name_when_passwords_differ(client):
    url = reverse("accounts:signup_confirm", args=[signup_token_make(email="typo@example.org")])
    response = client.post(url, {"full_name": "Tia Typo", "password1": PASSWORD, "password2": PASSWORD + "x"})
    assert response.status_code == 400
    assert b"do not match" in response.content
    assert b'value="Tia Typo"' in response.content


@pytest.mark.django_db
def test_it_rejects_a_malformed_address(client):
    response = client.post(reverse("accounts:signup"), {"email": "not-an-address"})
    assert response.status_code == 400
    assert b"valid email address" in response.content


@pytest.mark.django_db
def test_it_rotates_the_session_on_sign_in_and_ends_it_on_sign_out(client, customer):
    client.post(reverse("accounts:signup"), {"email": "someone@example.org"})  # starts an anonymous session
    before = client.cookies["sessionid"].value
    response = client.post(reverse("accounts:login"), {"username": customer.email, "password": "pw-for-tests-1"})
    assert response.status_code == 302
    after = client.cookies["sessionid"].value
    assert after and after != before
    assert client.get(reverse("portal:home")).status_code == 200
    client.post(reverse("accounts:logout"))
    from accounts.models import UserSession

    assert not UserSession.objects.filter(session_key=after).exists()
    assert client.get(reverse("portal:home")).status_code == 302


@pytest.mark.django_db
def test_it_signs_in_with_the_address_in_any_case(client, customer):
    response = client.post(
        reverse("accounts:login"), {"username": "CUSTOMER@example.org", "password": "pw-for-tests-1"}
    )
    assert response.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_it_resets_a_password_by_mail(client, smtp, customer):
    response = client.post(reverse("accounts:password_reset"), {"email": customer.email})
    assert response.status_code == 302
    (message,) = smtp.wait_for(1)
    link = RESET_LINK.search(body_text(message)).group(1)
    form = client.get(link, follow=True)
    assert b"Choose a new password" in form.content
    response = client.post(form.redirect_chain[-1][0], {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)
    # The link is spent once the password changed.
    assert b"This link does not work" in client.get(link, follow=True).content


@pytest.mark.django_db(transaction=True)
def test_it_answers_a_reset_for_an_unknown_address_the_same_and_sends_nothing(client, smtp):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert smtp.wait_for(1, timeout=1) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "data", "setting"),
    [
        ("accounts:login", {"username": "a@example.org", "password": "wrong"}, "RATELIMIT_SIGNIN_ACCOUNT"),
        ("accounts:signup", {"email": "a@example.org"}, "RATELIMIT_SIGNUP"),
        ("accounts:password_reset", {"email": "a@example.org"}, "RATELIMIT_PASSWORD_RESET"),
    ],
)
def test_it_rate_limits_with_a_clear_429(client, settings, url_name, data, setting):
    setattr(settings, setting, "3/300")
    for _ in range(3):
        assert client.post(reverse(url_name), data).status_code != 429
    response = client.post(reverse(url_name), data)
    assert response.status_code == 429
    assert b"Too many attempts" in response.content


@pytest.mark.django_db
def test_it_answers_a_wrong_password_with_a_400_and_a_message(client, customer):
    response = client.post(reverse("accounts:login"), {"username": customer.email, "password": "nope"})
    assert response.status_code == 400
    assert b"Please enter a correct" in response.content
