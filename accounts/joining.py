"""Joining an organisation: someone who signed up asks to become a member, by the
organisation's provider ID or its exact name; the organisation's vouching roles (site admin,
site manager, lead director) or an agent approve or decline, and the person is told.

The lookup answers only an exact provider ID or an exact name, one organisation at most, and
never lists anything: a stranger learns no more than whether what they typed is an organisation
(and that under the per-person limit of the door, RATELIMIT_JOIN_LOOKUP). The mails to the
vouching roles are capped per person (JOIN_REQUEST_PENDING_MAX waiting, JOIN_REQUEST_DAILY_MAX a
day), so nobody can flood a director's inbox."""

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications.links import absolute_url
from notifications.services import notification_create

from .models import JoinRequest, Membership, NotificationCategory, Organization, User

logger = logging.getLogger(__name__)


class JoinRequestError(Exception):
    """A request to join that cannot be made or decided; the message is for the person."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


def _normalised(text: str) -> str:
    return " ".join((text or "").split()).casefold()


def organization_find_for_joining(*, query: str) -> Organization | None:
    """The one active organisation whose provider ID or name is exactly this (case and spacing
    aside); None when there is none, or when several share the name (then the ID decides)."""
    wanted = " ".join((query or "").split())
    if not wanted or len(wanted) > 200:
        return None
    by_id = Organization.objects.filter(is_active=True, provider_id__iexact=wanted).first()
    if by_id is not None:
        return by_id
    # Names are compared in Python on the few rows whose name has the same length: no pattern
    # (LIKE) ever reaches the database, so a partial name finds nothing.
    candidates = Organization.objects.filter(is_active=True, name__iexact=wanted)[:2]
    matches = [o for o in candidates if _normalised(o.name) == _normalised(wanted)]
    return matches[0] if len(matches) == 1 else None


def join_requests_pending_for(*, user: User) -> QuerySet[JoinRequest]:
    return JoinRequest.objects.filter(user=user, status=JoinRequest.Status.PENDING)


def join_requests_of(*, user: User) -> QuerySet[JoinRequest]:
    """A person's own requests to join, newest first (their outcome shows on their pages)."""
    return JoinRequest.objects.filter(user=user).select_related("organization", "decided_by")


def _vouched_organizations(user: User) -> QuerySet[Membership, Any]:
    return Membership.objects.filter(
        user=user, role__in=Membership.VOUCHING_ROLES, organization__is_active=True
    ).values("organization")


def join_requests_for_decider(*, user: User, agent: bool) -> QuerySet[JoinRequest]:
    """The requests to join this person answers, whatever their state: those of the
    organisations where they hold a vouching role; every one for agents (`agent`: the person
    works a desk) and admins."""
    requests = JoinRequest.objects.filter(organization__is_active=True).select_related("user", "organization")
    if not user.is_active:
        return requests.none()
    # Nobody answers their own request, however many roles they hold.
    requests = requests.exclude(user=user)
    if agent or user.is_superuser:
        return requests
    return requests.filter(organization__in=_vouched_organizations(user))


def join_requests_to_decide(*, user: User, agent: bool) -> QuerySet[JoinRequest]:
    """Those of them still waiting for an answer, oldest first."""
    return (
        join_requests_for_decider(user=user, agent=agent)
        .filter(status=JoinRequest.Status.PENDING)
        .order_by("created_at", "pk")
    )


def join_request_may_decide(*, join_request: JoinRequest, user: User, agent: bool) -> bool:
    return join_requests_to_decide(user=user, agent=agent).filter(pk=join_request.pk).exists()


def _vouchers(organization: Organization, *, exclude: User) -> QuerySet[User]:
    return (
        User.objects.filter(
            is_active=True,
            memberships__organization=organization,
            memberships__role__in=Membership.VOUCHING_ROLES,
        )
        .exclude(pk=exclude.pk)
        .distinct()
    )


def join_request_create(*, user: User, query: str, message: str = "") -> JoinRequest:
    """Ask to join the organisation named by `query` (provider ID or exact name), and tell its
    vouching roles. Refused (JoinRequestError) for an unknown organisation, one the person
    already belongs to or already asked to join, and past the per-person limits."""
    organization = organization_find_for_joining(query=query)
    if organization is None:
        raise JoinRequestError(
            _(
                "We could not find an organisation with this provider ID or name. Check the provider ID "
                "with your director; it is on your organisation's letters from the programme."
            ),
            field="organization",
        )
    now = timezone.now()
    with transaction.atomic():
        # One person's requests are decided one at a time: the limits below cannot be raced.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if Membership.objects.filter(user=user, organization=organization).exists():
            raise JoinRequestError(
                _("You are already a member of %(name)s.") % {"name": organization.name}, field="organization"
            )
        if join_requests_pending_for(user=user).filter(organization=organization).exists():
            raise JoinRequestError(
                _("You already asked to join %(name)s; it waits for an answer.") % {"name": organization.name},
                field="organization",
            )
        if join_requests_pending_for(user=user).count() >= settings.JOIN_REQUEST_PENDING_MAX:
            raise JoinRequestError(
                _("You have %(count)d requests to join waiting for an answer; please wait for one first.")
                % {"count": settings.JOIN_REQUEST_PENDING_MAX}
            )
        today = JoinRequest.objects.filter(user=user, created_at__gte=now - timedelta(days=1)).count()
        if today >= settings.JOIN_REQUEST_DAILY_MAX:
            raise JoinRequestError(_("You asked to join organisations too often today; please try again tomorrow."))
        try:
            with transaction.atomic():
                join_request = JoinRequest.objects.create(
                    user=user, organization=organization, message=(message or "").strip()[:2000], created_at=now
                )
        except IntegrityError:
            raise JoinRequestError(
                _("You already asked to join %(name)s; it waits for an answer.") % {"name": organization.name},
                field="organization",
            ) from None
        for voucher in _vouchers(organization, exclude=user):
            _mail_voucher(voucher=voucher, join_request=join_request)
    logger.info("user %s asked to join organisation %s", user.pk, organization.pk)
    return join_request


def _mail_voucher(*, voucher: User, join_request: JoinRequest) -> None:
    if not voucher.wants_email(NotificationCategory.APPROVALS):
        return
    requester = join_request.user
    notification_create(
        kind="join_request_received",
        to_email=voucher.email,
        language=voucher.language,
        template="join_request_received",
        context={
            "name": voucher.full_name,
            # The address beside the name: a stranger cannot pass for a colleague by name alone.
            "requester": f"{requester.full_name} <{requester.email}>",
            "organization": join_request.organization.name,
            "message": join_request.message,
            "url": absolute_url(reverse("portal:approvals")),
        },
    )


def join_request_decide(
    *, join_request: JoinRequest, actor: User, approve: bool, agent: bool, note: str = ""
) -> JoinRequest:
    """Approve (the person becomes staff of the organisation) or decline a request to join, and
    tell the person. Only a vouching role of the organisation, an agent or an admin may; a
    request already decided is not decided again."""
    with transaction.atomic():
        locked = JoinRequest.objects.select_for_update().select_related("organization", "user").get(pk=join_request.pk)
        if not join_request_may_decide(join_request=locked, user=actor, agent=agent):
            if locked.status != JoinRequest.Status.PENDING:
                raise JoinRequestError(_("Someone already answered this request."))
            raise JoinRequestError(_("You cannot answer this request."))
        if not approve and not (note or "").strip():
            raise JoinRequestError(_("Please say why, so the person knows what to do."), field="note")
        locked.status = JoinRequest.Status.APPROVED if approve else JoinRequest.Status.DECLINED
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.decision_note = (note or "").strip()[:2000]
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        if approve:
            Membership.objects.get_or_create(
                user=locked.user, organization=locked.organization, defaults={"role": Membership.Role.STAFF}
            )
        _mail_requester(join_request=locked)
    logger.info(
        "join request %s %s by user %s", locked.pk, locked.status, actor.pk
    )  # the audit trail is the row itself: who, when, why
    return locked


def _mail_requester(*, join_request: JoinRequest) -> None:
    requester = join_request.user
    if not requester.is_active:
        return
    with translation.override(requester.language):
        status = str(JoinRequest.Status(join_request.status).label)
    notification_create(
        kind="join_request_decided",
        to_email=requester.email,
        language=requester.language,
        template="join_request_decided",
        context={
            "name": requester.full_name,
            "organization": join_request.organization.name,
            "approved": join_request.status == JoinRequest.Status.APPROVED,
            "status": status,
            "note": join_request.decision_note,
            "url": absolute_url(reverse("portal:home")),
        },
    )


def organizations_vouched_by(*, user: User) -> QuerySet[Organization]:
    """The organisations where this person holds a vouching role (their profile shows each
    one's provider ID and sites)."""
    return Organization.objects.filter(Q(pk__in=_vouched_organizations(user)), is_active=True).prefetch_related("sites")
