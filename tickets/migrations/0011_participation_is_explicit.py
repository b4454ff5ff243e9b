"""Participation is explicit: the requester and the people a request was shared with (a SHARE
activity names them). Rows made otherwise — by turning notifications on (a vouching role became a
permanent participant) or copied by a merge — are removed, each removal logged on the request."""

from django.db import migrations


def remove_implicit_participants(apps, schema_editor):
    Participant = apps.get_model("tickets", "Participant")
    Activity = apps.get_model("tickets", "Activity")
    removed = []
    rows = Participant.objects.select_related("ticket", "user").iterator(chunk_size=2000)
    for participant in rows:
        if participant.user_id == participant.ticket.requester_id:
            continue
        shared = Activity.objects.filter(
            ticket_id=participant.ticket_id, kind="share", data__user=participant.user_id
        ).exists()
        if not shared:
            removed.append(participant)
    for participant in removed:
        Activity.objects.create(
            ticket_id=participant.ticket_id,
            kind="unshare",
            old_value=participant.user.full_name or participant.user.email,
            data={"user": participant.user_id, "reason": "not_explicitly_shared"},
        )
    Participant.objects.filter(pk__in=[p.pk for p in removed]).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0010_history_is_protected")]

    operations = [migrations.RunPython(remove_implicit_participants, migrations.RunPython.noop)]
