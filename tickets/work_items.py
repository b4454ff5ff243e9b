"""Work items: internal bug and feature tickets that several requests can share (Tier II)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .clocks import agents_to_alert
from .emails import ticket_email
from .models import Activity, Ticket, WorkItem
from .selectors import agent_tier
from .services import TicketError, TransitionNotAllowed


@transaction.atomic
def work_item_create(*, actor: User, title: str, kind: str, external_url: str = "", description: str = "") -> WorkItem:
    if not title.strip():
        raise TicketError(_("Give the work item a title."))
    return WorkItem.objects.create(
        title=title.strip(), kind=kind, external_url=external_url, description=description, created_by=actor
    )


@transaction.atomic
def work_item_link(*, ticket: Ticket, actor: User, work_item: WorkItem) -> None:
    """Link a request to an internal bug or feature request (Tier II)."""
    if agent_tier(ticket=ticket, user=actor) < 2:
        raise TransitionNotAllowed(_("Only Tier II agents link work items."))
    if work_item.tickets.filter(pk=ticket.pk).exists():
        raise TicketError(_("This request is already linked to that work item."))
    work_item.tickets.add(ticket)
    Activity.objects.create(
        ticket=ticket,
        actor=actor,
        kind=Activity.Kind.WORK_ITEM,
        visibility=Activity.Visibility.INTERNAL,
        new_value="linked",
        body=work_item.title,
        data={"work_item": work_item.pk},
    )


@transaction.atomic
def work_item_link_or_create(
    *,
    ticket: Ticket,
    actor: User,
    work_item: WorkItem | None = None,
    title: str = "",
    kind: str = "bug",
    external_url: str = "",
) -> WorkItem:
    """Link a request to an existing work item, or to a new one described here (Tier II)."""
    if work_item is None:
        work_item = work_item_create(actor=actor, title=title, kind=kind, external_url=external_url)
    work_item_link(ticket=ticket, actor=actor, work_item=work_item)
    return work_item


@transaction.atomic
def work_item_set_status(*, work_item: WorkItem, actor: User, status: str) -> WorkItem:
    """Move a work item on; when it is done, every linked request hears of it, and its agent."""
    if status not in WorkItem.Status.values:
        raise TicketError(_("Choose a valid status."))
    locked = WorkItem.objects.select_for_update().get(pk=work_item.pk)
    if locked.status == status:
        return locked
    done = status == WorkItem.Status.DONE
    WorkItem.objects.filter(pk=locked.pk).update(status=status, done_at=timezone.now() if done else None)
    locked.refresh_from_db()
    if done:
        for ticket in locked.tickets.select_related("assignee", "team"):
            Activity.objects.create(
                ticket=ticket,
                actor=actor,
                kind=Activity.Kind.WORK_ITEM,
                visibility=Activity.Visibility.INTERNAL,
                new_value="done",
                body=locked.title,
                data={"work_item": locked.pk},
            )
            for agent in agents_to_alert(ticket):
                ticket_email(user=agent, kind="work_item_done", ticket=ticket, work_item=locked.title)
    return locked
