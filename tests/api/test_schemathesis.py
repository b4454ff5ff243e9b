"""Schemathesis against /api/schema/, in process through the WSGI app, as a customer, a Tier I and
a Tier II agent: every operation, no 5xx, and every answer matches the schema (status code and
body). The seed is fixed (SCHEMATHESIS_SEED overrides it) and written to
test-artifacts/schemathesis-seed.txt, so a failure replays exactly."""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.files.base import ContentFile
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from accounts.api_tokens import api_token_create
from tests.conftest import ARTIFACTS
from tickets.attachments import attachment_stage
from tickets.models import RequestType
from tickets.services import ticket_comment
from tickets.work_items import work_item_create, work_item_link

SEED = int(os.environ.get("SCHEMATHESIS_SEED", "1313"))
# Examples per operation and user: 31 operations x 3 users x 10 took 105 s here (2 shared cores).
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "10"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture
def wsgi_app(settings):
    """The real WSGI application, inside the test's transaction: as Django's test client does, the
    per-request connection cleanup is off (it would close the connection mid-transaction)."""
    settings.API_THROTTLE_USER = "100000/min"
    settings.API_THROTTLE_ADDRESS = "100000/min"
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(catalogue, customer, colleague, tier1, tier2, submit):
    """Real rows for the operations to find: requests with comments and files."""
    mine = submit(customer, summary="Schemathesis request")
    theirs = submit(colleague, desk="CCP", key="portal-error", browser="chrome")
    attachment = attachment_stage(uploaded_by=customer, upload=ContentFile(b"notes\n", name="notes.txt"))
    ticket_comment(ticket=mine, author=customer, body="A comment", uploads=[attachment])
    item = work_item_create(actor=tier2, title="A bug", kind="bug")
    work_item_link(ticket=mine, actor=tier2, work_item=item)
    # Real values for path parameters, so most examples reach real rows instead of a 404.
    known = {
        "reference": [mine.reference, theirs.reference],
        "key": ["CSD", "CCP", "EDI", "unassigned", "mine", "tier-2"],
        "request_type_id": list(RequestType.objects.values_list("pk", flat=True)[:20]),
        "attachment_id": [attachment.pk],
        "work_item_id": [item.pk],
        "email": [customer.email, colleague.email],
    }
    return {"customer": customer, "tier1": tier1, "tier2": tier2, "known": known}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["customer", "tier1", "tier2"])
def test_every_operation_answers_as_its_schema_says(who, world, wsgi_app):
    _token, key = api_token_create(user=world[who], name="schemathesis")
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "schemathesis-seed.txt").write_text(f"{SEED}\n")
    operations = [result.ok() for result in schema.get_all_operations()]
    known = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in world["known"].items()})
    assert len(operations) >= 25
    failures, answered = [], set()
    for operation in operations:

        @seed(SEED)
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), real=known, use_real=st.integers(0, 3))
        def run(case, real, use_real):
            if use_real:  # three examples in four
                for name in case.path_parameters or {}:
                    if name in real:
                        case.path_parameters[name] = real[name]
            response = case.call_and_validate(headers={"Authorization": f"Token {key}"}, checks=CHECKS)
            if response.status_code < 300:
                answered.add(f"{operation.method.upper()} {operation.path}")

        try:
            run()
        except Exception as error:  # noqa: BLE001 - gather every operation's failure, then report
            failures.append(f"{operation.method.upper()} {operation.path} as {who} (seed {SEED}):\n{error}")
    assert not failures, "\n\n".join(failures)
    # The token worked and the generated input reached real work, not only refusals.
    print(f"{who}: {len(answered)} operations answered 2xx: {sorted(answered)}")
    assert len(answered) >= 10, answered
