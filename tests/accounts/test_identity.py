"""The one identity rule for e-mail addresses (accounts.identity) and that accounts are stored and
found by it: a look-alike in another script is another address, never another person's account."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.identity import InvalidEmail, email_canonical
from accounts.models import User

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("address", "canonical"),
    [
        ("SAM@Kiss-Support.Example", "sam@kiss-support.example"),
        ("  sam@kiss-support.example.  ", "sam@kiss-support.example"),
        # The dotless ı makes another domain (an attacker can register it): its own A-label.
        ("sam@kıss-support.example", "sam@xn--kss-support-zzb.example"),
        ("ana@bücher.example", "ana@xn--bcher-kva.example"),
        ("ana@xn--bcher-kva.example", "ana@xn--bcher-kva.example"),
        ("first.last+tag@example.org", "first.last+tag@example.org"),
    ],
)
def test_it_canonicalises(address, canonical):
    assert email_canonical(address) == canonical


@pytest.mark.parametrize(
    "address",
    [
        "sam@kiss-ſupport.example",  # long s: IDNA 2008 refuses it (IDNA 2003 would map it to "s")
        "\u212aaren@example.org",  # Kelvin sign, which re.IGNORECASE takes for "k"
        "ſam@kiss-support.example",
        "samı@example.org",
        "İnes@example.org",
        "ana@bÜcher.example",  # an upper-case non-ASCII letter: IDNA 2008 has no mapping
        "ana@ｅxample.org",  # fullwidth letters
        "user@[192.0.2.1]",
        '"John..Doe"@example.org',  # quoted local parts name the same mailbox as the unquoted one
        "no-at-sign.example.org",
        "@example.org",
        "user@",
        "user@exa_mple.org",
        "a" * 250 + "@example.org",
        "",
    ],
)
def test_it_refuses_what_has_no_canonical_form(address):
    with pytest.raises(InvalidEmail):
        email_canonical(address)


@pytest.mark.django_db
def test_it_stores_accounts_in_the_canonical_form_and_finds_them_exactly(customer):
    user = User.objects.create_user(email="Sam@Kiss-Support.Example.", password="pw-for-tests-1", full_name="Sam")
    assert user.email == "sam@kiss-support.example"
    assert User.objects.get_by_natural_key("SAM@kiss-support.example") == user
    for look_alike in ["sam@kıss-support.example", "sam@kiss-ſupport.example", "ſam@kiss-support.example"]:
        with pytest.raises(User.DoesNotExist):
            User.objects.get_by_natural_key(look_alike)
    with pytest.raises(InvalidEmail):
        User.objects.create_user(email="sam@kiss-ſupport.example", password="x", full_name="Not Sam")


# --- Properties ----------------------------------------------------------------------------------

# Letters that look like, or case-fold into, ASCII ones, mixed with plain ASCII.
LOOK_ALIKES = "ıİſKßﬀẞǅ" + "ａｅ" + "аеосрху" + "üéñ"
local_parts = st.text(alphabet=st.sampled_from("abcsKSIk.-+_" + LOOK_ALIKES), min_size=1, max_size=12)
domains = st.lists(
    st.text(alphabet=st.sampled_from("abcikstuvKSI-" + LOOK_ALIKES), min_size=1, max_size=10), min_size=1, max_size=3
).map(lambda labels: ".".join([*labels, "example"]))
addresses = st.builds(
    lambda local, domain, dot: f"{local}@{domain}{dot}", local_parts, domains, st.sampled_from(["", "."])
)


def _canonical_or_none(address: str) -> str | None:
    try:
        return email_canonical(address)
    except InvalidEmail:
        return None


@given(addresses)
def test_it_is_idempotent_and_ascii(address):
    canonical = _canonical_or_none(address)
    if canonical is None:
        return
    assert canonical.isascii()
    assert canonical == canonical.lower()
    assert email_canonical(canonical) == canonical


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(owner=addresses, other=addresses)
def test_two_addresses_that_differ_when_canonical_never_reach_the_same_account(owner, other):
    owner_canonical, other_canonical = _canonical_or_none(owner), _canonical_or_none(other)
    if owner_canonical is None:
        return
    cache.clear()  # failures of earlier examples must not trip the sign-in limit here
    with transaction.atomic():
        user = User.objects.create_user(email=owner, password="pw-for-tests-1", full_name="Owner")
        try:
            found = User.objects.get_by_natural_key(other)
        except User.DoesNotExist:
            found = None
        signed_in = authenticate(None, username=other, password="pw-for-tests-1")
        transaction.set_rollback(True)
    same = other_canonical == owner_canonical
    assert (found == user) is same
    assert (signed_in == user) is same


# --- No case-insensitive comparison of addresses anywhere ----------------------------------------

IEXACT_ON_EMAIL = re.compile(r"email__iexact|email_iexact|[\"']%s__iexact[\"']")


def test_no_code_compares_addresses_case_insensitively():
    offenders = []
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {".venv", "tests", "var", "test-artifacts"} or "migrations" in relative.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if IEXACT_ON_EMAIL.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert not offenders, "e-mail addresses are compared in their canonical form, exactly:\n" + "\n".join(offenders)
