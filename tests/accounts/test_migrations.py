"""The data migrations: existing addresses to their canonical form (a collision or an address with
none stops the migration, naming the rows), and rest_framework.authtoken's plain-text tokens to
hashed ApiTokens."""

import hashlib
import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken, User

canonical = importlib.import_module("accounts.migrations.0004_email_canonical")
legacy = importlib.import_module("accounts.migrations.0005_authtoken_to_api_tokens")


def test_the_plan_canonicalises_and_leaves_canonical_rows_alone():
    rows = [(1, "Sam@Kiss-Support.Example"), (2, "ana@bücher.example."), (3, "ok@example.org")]
    assert canonical.canonical_email_plan(rows) == [(1, "sam@kiss-support.example"), (2, "ana@xn--bcher-kva.example")]


def test_the_plan_stops_at_collisions_and_addresses_without_a_canonical_form_naming_every_row():
    rows = [
        (1, "sam@kiss-support.example"),
        (2, "Sam@Kiss-Support.Example."),
        (3, "sam@kiss-ſupport.example"),
        (4, "\u212aaren@example.org"),
        (5, "fine@example.org"),
    ]
    with pytest.raises(canonical.EmailCanonicalConflict) as error:
        canonical.canonical_email_plan(rows)
    message = str(error.value)
    assert "user 3 'sam@kiss-ſupport.example': no canonical form" in message
    assert "user 4 '\u212aaren@example.org': no canonical form" in message
    assert "users 1 'sam@kiss-support.example', 2 'Sam@Kiss-Support.Example.': all are 'sam@kiss-support.example'" in (
        message
    )
    assert "fine@example.org" not in message
    assert "run migrate again" in message


def _raw_users(*emails):
    # As rows were before: written without the canonical rule.
    return User.objects.bulk_create([User(email=e, full_name=e, password="!") for e in emails])


@pytest.mark.django_db
def test_the_migration_rewrites_the_rows():
    mixed, idn, fine = _raw_users("Mixed@Example.ORG", "ana@Bücher.example".replace("B", "b"), "fine@example.org")
    canonical.canonicalise_emails(apps, None)
    assert list(User.objects.order_by("pk").values_list("email", flat=True)) == [
        "mixed@example.org", "ana@xn--bcher-kva.example", "fine@example.org",
    ]  # fmt: skip


@pytest.mark.django_db
def test_the_migration_changes_nothing_when_it_stops():
    _raw_users("Mixed@Example.ORG", "sam@kiss-support.example", "sam@kiss-support.example.")
    with pytest.raises(canonical.EmailCanonicalConflict, match="all are 'sam@kiss-support.example'"):
        canonical.canonicalise_emails(apps, None)
    assert User.objects.filter(email="Mixed@Example.ORG").exists()


@pytest.mark.django_db
def test_legacy_plain_text_tokens_become_hashed_tokens_and_the_old_table_goes(customer):
    key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp with time zone NOT NULL, "
            "user_id bigint NOT NULL UNIQUE)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [key, timezone.now(), customer.pk])
    MigrationRecorder(connection).record_applied("authtoken", "0001_initial")

    with connection.schema_editor() as editor:
        legacy.move_legacy_tokens(apps, editor)

    token = ApiToken.objects.get()
    assert (token.user, token.key_prefix) == (customer, key[:8])
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.expires_at > timezone.now()
    assert "authtoken_token" not in connection.introspection.table_names()
    assert not MigrationRecorder(connection).migration_qs.filter(app="authtoken").exists()
    # The integration using it goes on working, until the token expires.
    assert Client().get("/api/v1/requests/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200


@pytest.mark.django_db
def test_without_the_legacy_table_the_token_migration_does_nothing():
    with connection.schema_editor() as editor:
        legacy.move_legacy_tokens(apps, editor)
    assert not ApiToken.objects.exists()
