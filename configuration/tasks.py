from celery import shared_task

from accounts.models import User
from tickets.fields import request_field_set_sensitive
from tickets.models import RequestField


@shared_task
def field_set_sensitive(*, field_id: int, sensitive: bool, actor_id: int | None) -> int:
    """Move a field's stored values to the matching store; safe to run twice (it only moves what
    is on the wrong side)."""
    field = RequestField.objects.filter(pk=field_id).first()
    if field is None:
        return 0
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return request_field_set_sensitive(field=field, sensitive=sensitive, actor=actor)
