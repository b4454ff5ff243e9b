"""Work items: internal bug and feature tickets that several requests can share (Tier II).

A work item is seen through its requests: an agent sees the work items linked to requests of
their desks (and the ones they created), and of its requests only the references they may see.
Changing one changes every linked request, so only a Tier II agent of every desk involved may.
"""

from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .clocks import agents_to_alert
from .emails import ticket_email
from .errors import TicketError, TransitionNotAllowed
from .models import Activity, Team, Ticket, WorkItem
from .selectors import agent_tier
from .visibility import agent_visibility_q

CLOSED = (WorkItem.Status.DONE, WorkItem.Status.WONT_DO)


def work_items_for_agent(*, user: User) -> QuerySet[WorkItem]:
    """The work items this agent sees: linked to a request of their desks, or created by them."""
    if not user.is_active:
        return WorkItem.objects.none()
    if user.is_superuser:
        return WorkItem.objects.all()
    # From the links to the tickets (each by primary key), not from every ticket of the desks
    # to the links: the other way round read the whole tickets table at a million rows.
    visible = Ticket.objects.filter(agent_visibility_q(user=user)).values("pk")
    linked = WorkItem.tickets.through.objects.filter(ticket__in=visible).values("workitem_id")
    return WorkItem.objects.filter(Q(pk__in=linked) | Q(created_by=user))


def work_item_get_for_agent(*, user: User, work_item_id: Any) -> WorkItem | None:
    """One of the agent's work items by id (any garbage id is simply none)."""
    try:
        pk = int(work_item_id)
    except (TypeError, ValueError):
        return None
    return work_items_for_agent(user=user).filter(pk=pk).first()


def work_item_tickets_visible(*, work_item: WorkItem, user: User) -> list[Ticket]:
    """The linked requests whose references this agent may see."""
    return list(work_item.tickets.filter(agent_visibility_q(user=user)).order_by("reference"))


def work_item_may_change(*, work_item: WorkItem, user: User) -> bool:
    """A Tier II agent of every desk with a linked request (of their own desks' if none is linked)."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    tier2_desks = set(Team.objects.filter(members=user, tier=2).values_list("desk_id", flat=True))
    linked_desks = set(work_item.tickets.values_list("desk_id", flat=True))
    if not linked_desks:
        return bool(tier2_desks) and work_item.created_by_id == user.pk
    return linked_desks <= tier2_desks


@transaction.atomic
def work_item_create(*, actor: User, title: str, kind: str, external_url: str = "", description: str = "") -> WorkItem:
    if not title.strip():
        raise TicketError(_("Give the work item a title."))
    return WorkItem.objects.create(
        title=title.strip(), kind=kind, external_url=external_url, description=description, created_by=actor
    )


@transaction.atomic
def work_item_link(*, ticket: Ticket, actor: User, work_item: WorkItem) -> None:
    """Link a request to an internal bug or feature request (Tier II, one the agent sees)."""
    if agent_tier(ticket=ticket, user=actor) < 2:
        raise TransitionNotAllowed(_("Only Tier II agents link work items."))
    if not work_items_for_agent(user=actor).filter(pk=work_item.pk).exists():
        raise TicketError(_("No such work item."))
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
    if not work_item_may_change(work_item=locked, user=actor):
        raise TransitionNotAllowed(_("Only a Tier II agent of every desk with a request linked to it can change it."))
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
