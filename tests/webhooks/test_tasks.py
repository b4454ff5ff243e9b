from datetime import timedelta

import pytest
from django.utils import timezone

from tests.webhooks.conftest import deliveries
from webhooks.models import DeliveryAttempt
from webhooks.tasks import prune_delivery_log


@pytest.mark.django_db
def test_the_delivery_log_forgets_tries_older_than_its_days(submit, customer, make_endpoint, settings):
    settings.WEBHOOKS_LOG_DAYS = 30
    endpoint, _secret = make_endpoint("http://93.184.215.14/hook", events=["request.created"])
    submit(customer)
    (row,) = deliveries()
    now = timezone.now()
    for days in (31, 29):
        DeliveryAttempt.objects.create(endpoint=endpoint, notification=row, event=row.kind, attempt=1,
                                       attempted_at=now - timedelta(days=days))  # fmt: skip
    assert prune_delivery_log() == 1
    assert [a.attempted_at.date() for a in DeliveryAttempt.objects.all()] == [(now - timedelta(days=29)).date()]
