"""Many stored values of a field made sensitive are moved by a real `celery worker` process, after
the editor's change commits."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from tests.configuration.test_catalogue_editor import _field_post
from tickets.models import RequestField, SensitiveValue, Ticket


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_moves_the_values_of_a_field_made_sensitive(
    catalogue, customer, submit, superuser, settings, real_worker
):
    settings.CATALOGUE_SENSITIVE_SYNC_MAX = 2
    for n in range(3):
        submit(customer, desk="CCP", key="additional-roles", summary=f"Roles {n}", user_email="x@example.org",
               roles_needed=f"Reports {n}")  # fmt: skip
    field = RequestField.objects.get(request_type__desk__key="CCP", request_type__key="additional-roles",
                                     key="roles_needed")  # fmt: skip
    admin = Client()
    admin.force_login(superuser)
    response = admin.post(reverse("configuration:field_edit", args=[field.pk]), _field_post(field, sensitive=True),
                          follow=True)  # fmt: skip
    assert "3 stored values are being moved in the background" in response.content.decode()
    deadline = time.monotonic() + 30
    while SensitiveValue.objects.filter(field=field).count() < 3:
        assert time.monotonic() < deadline, real_worker.log()[-3000:]
        time.sleep(0.1)
    assert RequestField.objects.get(pk=field.pk).sensitive
    assert all("roles_needed" not in t.field_values for t in Ticket.objects.all())
    assert "configuration.tasks.field_set_sensitive" in real_worker.log()
