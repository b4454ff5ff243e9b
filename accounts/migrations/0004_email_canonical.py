"""Every stored address in its canonical form (accounts.identity). Two rows that turn out to be
the same address, or an address that has none, stop the migration: a person must decide which
account is whose, and no rule here may merge or rename people's accounts on its own."""

from django.db import migrations

from accounts.identity import InvalidEmail, email_canonical


class EmailCanonicalConflict(RuntimeError):
    pass


def canonical_email_plan(rows):
    """For (pk, email) rows: the (pk, canonical) changes to make. Raises EmailCanonicalConflict
    naming every row that has no canonical form or shares one with another row."""
    by_canonical, invalid, changes = {}, [], []
    for pk, email in rows:
        try:
            canonical = email_canonical(email)
        except InvalidEmail as error:
            invalid.append(f"  user {pk} {email!r}: no canonical form ({error})")
            continue
        by_canonical.setdefault(canonical, []).append((pk, email))
        if canonical != email:
            changes.append((pk, canonical))
    collisions = [
        f"  users {', '.join(f'{pk} {email!r}' for pk, email in same)}: all are {canonical!r}"
        for canonical, same in sorted(by_canonical.items())
        if len(same) > 1
    ]
    if invalid or collisions:
        raise EmailCanonicalConflict(
            "accounts.0004_email_canonical: these accounts' e-mail addresses cannot be stored in their canonical "
            "form. Change or merge them (e.g. in the admin or with SQL), then run migrate again:\n"
            + "\n".join(invalid + collisions)
        )
    return changes


def canonicalise_emails(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    rows = list(User.objects.order_by("pk").values_list("pk", "email"))
    for pk, canonical in canonical_email_plan(rows):
        # Safe one by one: canonical forms are unique and a canonical address maps to itself,
        # so no row still holds another row's new value.
        User.objects.filter(pk=pk).update(email=canonical)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_identity_tokens_sessions")]

    operations = [migrations.RunPython(canonicalise_emails, migrations.RunPython.noop)]
