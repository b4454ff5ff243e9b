"""People in the editor: organisations with their sites and members, and agents with their
teams. Deactivating a person is accounts.services.user_deactivate (sessions and API tokens end at
once, requests stay); a membership removed ends its shares through the tickets app's signal."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from accounts.identity import user_by_email
from accounts.models import Membership, Organization, Site, User
from tickets.models import Team

# --- Reads -------------------------------------------------------------------------------------


def people_search(*, query: str, limit: int = 50) -> QuerySet[User]:
    """People by name or by part of their (canonical, lower-case) address; a whole address is
    looked up through accounts.identity."""
    query = query.strip()
    people = User.objects.order_by("full_name", "pk")
    if not query:
        return people.none()
    exact = user_by_email(address=query) if "@" in query else None
    condition = Q(full_name__icontains=query) | Q(email__contains=query.lower())
    if exact is not None:
        condition |= Q(pk=exact.pk)
    return people.filter(condition)[:limit]


def organizations_search(*, query: str) -> QuerySet[Organization]:
    organizations = Organization.objects.annotate(member_count=Count("memberships", distinct=True))
    if query.strip():
        q = query.strip()
        members = Membership.objects.filter(Q(user__full_name__icontains=q) | Q(user__email__contains=q.lower()))
        organizations = organizations.filter(
            Q(name__icontains=q) | Q(provider_id__icontains=q) | Q(pk__in=members.values("organization_id"))
        )
    return organizations.order_by("name")[:200]


def agents_list() -> QuerySet[User]:
    return User.objects.filter(teams__isnull=False).distinct().prefetch_related("teams__desk").order_by("full_name")


# --- Writes ------------------------------------------------------------------------------------


@transaction.atomic
def sites_save(*, organization: Organization, formset: Any) -> None:
    """Save the sites; the one marked primary becomes it (the others stop being primary first,
    so the one-primary constraint holds at every step)."""
    primary = [f for f in formset.forms if f.cleaned_data.get("is_primary") and not formset._should_delete_form(f)]
    if primary:
        organization.sites.update(is_primary=False)
    formset.save()


def membership_add(*, organization: Organization, user: User, role: str) -> Membership:
    membership, _created = Membership.objects.update_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    return membership


@transaction.atomic
def membership_update(*, membership: Membership, role: str, sites: Iterable[Site]) -> None:
    """A member's role (which decides what of the organisation they see) and their sites."""
    Membership.objects.filter(pk=membership.pk).update(role=role)
    membership.role = role
    membership.sites.set(sites)


def membership_remove(*, membership: Membership) -> None:
    """Remove a membership; the requests it shared with the person stop being shared (signal)."""
    membership.delete()


def agent_set_teams(*, user: User, teams: list[Team]) -> None:
    """The teams an agent works in (their tier on each desk is the team's)."""
    user.teams.set(teams)
