"""Requests taken by phone or e-mail: finding the caller's organisation and site as an agent
types (agents may look through every organisation; customers never reach this)."""

import re

from django.db.models import Q, QuerySet

from accounts.models import Organization, Site

LOOKUP_LIMIT = 20
_LABEL = re.compile(r"^(?P<name>.*)\((?P<provider_id>[^()]+)\)\s*$")


def organization_label(organization: Organization) -> str:
    """How the form shows an organisation, and reads it back: "Name (provider ID)"."""
    return f"{organization.name} ({organization.provider_id})" if organization.provider_id else organization.name


def organizations_matching(*, query: str, limit: int = LOOKUP_LIMIT) -> QuerySet[Organization]:
    """Active organisations whose name contains the words typed, or whose provider ID starts
    with them, for the on-behalf form's suggestions."""
    text = " ".join((query or "").split())[:100]
    if not text:
        return Organization.objects.none()
    condition = Q(provider_id__istartswith=text)
    words = Q()
    for word in text.split()[:5]:
        words &= Q(name__icontains=word)
    return (
        Organization.objects.filter(condition | words, is_active=True)
        .prefetch_related("sites")
        .order_by("name")[:limit]
    )


def organization_for_intake(*, text: str) -> Organization | None:
    """The organisation an agent picked: its "Name (ID)" label, its provider ID or its exact
    name (when only one has it). None when nothing, or more than one, matches."""
    text = " ".join((text or "").split())
    if not text:
        return None
    active = Organization.objects.filter(is_active=True)
    match = _LABEL.match(text)
    if match:
        found = active.filter(provider_id__iexact=match.group("provider_id").strip()).first()
        if found is not None:
            return found
    found = active.filter(provider_id__iexact=text).first()
    if found is not None:
        return found
    named = list(active.filter(name__iexact=text)[:2])
    return named[0] if len(named) == 1 else None


def site_for_intake(*, organization: Organization, text: str) -> Site | None:
    """A site of this organisation by its name (as the suggestions show it)."""
    text = " ".join((text or "").split())
    if not text:
        return None
    return organization.sites.filter(name__iexact=text).first()
