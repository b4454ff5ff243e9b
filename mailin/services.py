"""Inbound e-mail: poll a desk's mailbox, keep every mail, and turn it into a request or a
comment through the real ticket services.

The order is what keeps mail from being lost: the raw bytes and a row are committed first, then
the IMAP message is flagged \\Seen, then the row is processed in its own transaction. A crash at
any point leaves either an unseen message (fetched again, recognised by its Message-ID) or a row
still "received" (processed by the next poll).
"""

import logging
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import user_get_or_create_contact
from notifications.links import absolute_url
from notifications.selectors import (
    notification_sent_recently,
)
from notifications.services import notification_create
from tickets.attachments import attachment_stage, validate_upload
from tickets.models import Attachment, Channel, RequestField, ServiceDesk, Ticket
from tickets.selectors import (
    request_organization_unambiguous,
    request_types_for_user,
    ticket_roles,
    user_is_agent,
)
from tickets.services import TicketError, ticket_comment, ticket_submit
from tickets.values import SubmittedValues
from tickets.workflow import Role

from .authentication import FAIL, PASS, sender_authentication
from .imap import ImapError, ImapSettings, imap_session
from .models import InboundMessage, Mailbox
from .parsing import ParsedMail, mail_content_hash, message_id_of, parse_mail
from .rules import from_problem_reason, ignore_reason, is_no_reply, mail_own_addresses
from .selectors import inbound_unprocessed
from .threads import thread_ticket

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
INVITATION_KIND = "mailin_signup_invitation"
TOO_LARGE_KIND = "mailin_too_large"
_FORWARD = re.compile(r"^\s*(fwd?|fw|rv|wg|tr|reenv)\s*:", re.IGNORECASE)


@dataclass
class PollResult:
    fetched: int = 0
    duplicates: int = 0
    processed: int = 0
    skipped: bool = False
    error: str = ""


@dataclass
class _Decision:
    status: str
    outcome: str = ""
    reason: str = ""
    ticket: Ticket | None = None


class _Hold(Exception):
    """The rules refuse this mail: keep it for an admin, with the reason."""

    def __init__(self, reason: str, ticket: Ticket | None = None):
        super().__init__(reason)
        self.reason, self.ticket = reason, ticket


def mailbox_set_desk_reply_address(*, mailbox: Mailbox) -> bool:
    """A desk without a reply address takes its mailbox's, so customers' answers to our e-mail
    (Reply-To) come back here and thread into the request. Returns whether it changed."""
    return bool(
        ServiceDesk.objects.filter(pk=mailbox.desk_id, email_address="").update(email_address=mailbox.email_address)
    )


# --- Polling -------------------------------------------------------------------------------------


def _lease_take(mailbox: Mailbox) -> datetime | None:
    now = timezone.now()
    until = now + LEASE
    taken = (
        Mailbox.objects.filter(pk=mailbox.pk, enabled=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=until, last_polled_at=now)
    )
    return until if taken else None


def mailbox_poll(*, mailbox: Mailbox, limit: int | None = None, time_budget: float = 30.0) -> PollResult:
    """Fetch the mailbox's unseen mail (up to settings.MAILIN_BATCH_SIZE, for at most
    time_budget seconds), keep each, flag it \\Seen, then process what is waiting (for at most
    PROCESS_TIME_BUDGET seconds more). Records the poll on the mailbox (last polled / last
    success / last error). Never raises for one bad mail or a server that is down: that is
    recorded and retried on the next poll; only the task's soft time limit goes through."""
    result = PollResult()
    lease = _lease_take(mailbox)
    if lease is None:
        result.skipped = True  # disabled, or another poller is on it right now
        return result
    started = time.monotonic()
    config = ImapSettings(
        host=mailbox.host,
        port=mailbox.port,
        security=mailbox.security,
        username=mailbox.username,
        password=mailbox.password,
        folder=mailbox.folder or "INBOX",
        timeout=settings.MAILIN_IMAP_TIMEOUT_SECONDS,
    )
    try:
        try:
            with imap_session(config) as session:
                for uid in session.unseen_uids(limit=limit or settings.MAILIN_BATCH_SIZE):
                    if time.monotonic() - started > time_budget:
                        break  # the rest waits for the next poll, well inside the task's time limit
                    size = session.size(uid)
                    headers_only = size > settings.MAILIN_MAX_MESSAGE_BYTES
                    raw = session.fetch(uid, headers_only=headers_only)
                    if raw is None:
                        continue
                    _, created = inbound_receive(mailbox=mailbox, raw=raw, size=size, headers_only=headers_only)
                    result.fetched += created
                    result.duplicates += not created
                    # Only now, with our copy committed, does the server learn we have it. An
                    # oversize mail is flagged too: its headers are all we will ever fetch.
                    session.mark_seen(uid)
        except SoftTimeLimitExceeded:
            raise
        except Exception as exc:  # noqa: BLE001 - recorded on the mailbox, shown to admins
            if not isinstance(exc, ImapError):
                logger.exception("polling mailbox %s failed", mailbox.pk)
            result.error = f"{exc.__class__.__name__}: {exc}"[:2000]
            Mailbox.objects.filter(pk=mailbox.pk).update(last_error=result.error, last_error_at=timezone.now())
        else:
            Mailbox.objects.filter(pk=mailbox.pk).update(last_success_at=timezone.now(), last_error="")
        result.processed = inbound_process_pending(mailbox=mailbox, own_addresses=mail_own_addresses())
    finally:
        Mailbox.objects.filter(pk=mailbox.pk, lease_until=lease).update(lease_until=None)
    return result


def inbound_receive(
    *, mailbox: Mailbox, raw: bytes, size: int | None = None, headers_only: bool = False
) -> tuple[InboundMessage, bool]:
    """Keep one fetched mail: its raw bytes in the default storage and a row, committed. The
    same mail kept already (same Message-ID and the same content but for trace headers) returns
    that row (created=False); a different mail reusing a Message-ID gets a row of its own."""
    try:
        parsed = parse_mail(raw)
        message_id, content_hash, from_email, from_name, subject = (
            parsed.message_id, parsed.content_hash, parsed.from_email, parsed.from_name, parsed.subject,
        )  # fmt: skip
    except Exception:  # noqa: BLE001 - keep it anyway; processing will record why it fails
        logger.exception("cannot read the headers of a mail in mailbox %s", mailbox.pk)
        content_hash = mail_content_hash(raw)
        message_id, from_email, from_name, subject = message_id_of("", content_hash), "", "", ""
    # Rows kept before content hashes existed have none: they match on the Message-ID alone.
    existing = (
        InboundMessage.objects.filter(message_id=message_id)
        .filter(Q(content_hash=content_hash) | Q(content_hash=""))
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing, False
    message = InboundMessage(
        mailbox=mailbox,
        message_id=message_id,
        content_hash=content_hash,
        size=size or len(raw),
        headers_only=headers_only,
        from_email=from_email,
        from_name=from_name,
        subject=subject,
    )
    # The file is written before the row, like attachments: a crash in between leaves an
    # orphan file, never a row without its mail.
    message.raw.save("mail.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # Another poller kept the same mail a moment ago.
        message.raw.delete(save=False)
        return InboundMessage.objects.get(message_id=message_id, content_hash=content_hash), False
    return message, True


PROCESS_TIME_BUDGET = 20.0


def inbound_process_pending(
    *,
    mailbox: Mailbox,
    limit: int = 200,
    time_budget: float = PROCESS_TIME_BUDGET,
    own_addresses: set[str] | None = None,
) -> int:
    """Process this mailbox's mail that is kept but not processed yet (also after a crash), for
    at most time_budget seconds (at least one mail): with the poll's own budget it stays inside
    the task's soft time limit, and what is left waits for the next poll."""
    started = time.monotonic()
    addresses = own_addresses if own_addresses is not None else mail_own_addresses()
    count = 0
    for message in list(inbound_unprocessed(mailbox=mailbox)[:limit]):
        if count and time.monotonic() - started > time_budget:
            break
        inbound_process(message=message, own_addresses=addresses)
        count += 1
    return count


# --- Processing --------------------------------------------------------------------------------


def inbound_process(
    *, message: InboundMessage, own_addresses: set[str] | None = None, rate_limits: bool = True
) -> InboundMessage:
    """Turn one kept mail into a request or a comment, or record why not (ignored, held for an
    admin, failed). Row-locked, so two pollers never process the same mail; safe to call twice.
    rate_limits=False when an admin processes it again: they vouch for the sender."""
    with transaction.atomic():
        locked = (
            InboundMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=message.pk, status=InboundMessage.Status.RECEIVED)
            .select_related("mailbox", "mailbox__desk", "mailbox__default_request_type")
            .first()
        )
        if locked is None:
            return InboundMessage.objects.get(pk=message.pk)
        try:
            with transaction.atomic():
                decision = _decide(locked, own_addresses=own_addresses, rate_limits=rate_limits)
        except _Hold as hold:
            decision = _Decision(InboundMessage.Status.HELD, reason=hold.reason, ticket=hold.ticket)
        except SoftTimeLimitExceeded:
            # The task is out of time, not the mail broken: it stays "received" for the next poll.
            raise
        except Exception as exc:  # noqa: BLE001 - the mail is kept with the reason, for an admin
            logger.exception("processing inbound mail %s failed", locked.pk)
            decision = _Decision(InboundMessage.Status.FAILED, reason=f"{exc.__class__.__name__}: {exc}"[:4000])
        InboundMessage.objects.filter(pk=locked.pk).update(
            status=decision.status,
            outcome=decision.outcome,
            reason=decision.reason,
            ticket=decision.ticket,
            attempts=locked.attempts + 1,
            processed_at=timezone.now(),
        )
    return InboundMessage.objects.get(pk=message.pk)


def inbound_reprocess(*, message_ids: Iterable[int]) -> dict[str, int]:
    """Admin action: process held or failed mail again (after a fix, or once the sender may
    comment). Returns how many ended in each status. Mail kept as headers only has nothing to
    process."""
    counts: dict[str, int] = {}
    retryable = [InboundMessage.Status.HELD, InboundMessage.Status.FAILED]
    addresses = mail_own_addresses()
    for pk in list(InboundMessage.objects.filter(pk__in=list(message_ids)).values_list("pk", flat=True)):
        reset = InboundMessage.objects.filter(
            pk=pk, status__in=retryable, headers_only=False, size__lte=settings.MAILIN_MAX_MESSAGE_BYTES
        ).update(status=InboundMessage.Status.RECEIVED)
        if not reset:
            continue
        message = inbound_process(message=InboundMessage(pk=pk), own_addresses=addresses, rate_limits=False)
        counts[message.status] = counts.get(message.status, 0) + 1
    return counts


def _decide(message: InboundMessage, *, own_addresses: set[str] | None, rate_limits: bool) -> _Decision:
    with message.raw.open("rb") as stored:
        raw = stored.read()
    parsed = parse_mail(raw)
    reason = ignore_reason(parsed=parsed, own_addresses=own_addresses)
    if reason:
        return _Decision(InboundMessage.Status.IGNORED, reason=reason)
    if parsed.from_problem:
        raise _Hold(from_problem_reason(parsed))
    if message.headers_only:
        return _too_large(parsed=parsed, message=message)
    verified = sender_authentication(headers=parsed.authentication_results, from_email=parsed.from_email)
    if verified == FAIL:
        raise _Hold(
            _(
                "The receiving mail server says this mail failed DMARC for %(sender)s: it may not come from "
                "them, so nothing was done."
            )
            % {"sender": parsed.from_email}
        )
    thread = thread_ticket(parsed=parsed)
    if thread.ticket is not None:
        return _comment(parsed=parsed, ticket=thread.ticket, for_agents=thread.for_agents, verified=verified)
    if thread.for_agents:
        raise _Hold(_("The mail answers an alert meant for agents, but its request was not found: nothing was added."))
    return _new_request(parsed=parsed, mailbox=message.mailbox, rate_limits=rate_limits, verified=verified)


def _speaks_for_the_help_desk(*, sender: User, roles: frozenset[str] | None = None) -> bool:
    """An agent or an admin: what they write reaches customers in the help desk's name."""
    return sender.is_staff or sender.is_superuser or bool(roles and Role.AGENT in roles) or user_is_agent(user=sender)


def _require_verified(*, parsed: ParsedMail, verified: str, ticket: Ticket | None = None) -> None:
    if verified != PASS:
        raise _Hold(
            _(
                "The mail says it is from %(sender)s, who works for the help desk, but the receiving mail server "
                "did not confirm it (no DMARC pass under MAILIN_AUTHSERV_IDS): held, since anyone can write "
                "that From header."
            )
            % {"sender": parsed.from_email},
            ticket=ticket,
        )


# --- Comments and new requests -------------------------------------------------------------------


def _sender_account(parsed: ParsedMail) -> User | None:
    # Exact: parsed.from_email is canonical, so a look-alike domain is simply an unknown sender.
    return User.objects.filter(email=parsed.from_email).first() if parsed.from_email else None


def _stage_attachments(*, parsed: ParsedMail, uploaded_by: User) -> tuple[list[Attachment], list[str]]:
    """Store the files the portal would accept (same limits and content checks); describe the
    rest, in the uploader's language: the notes go into their comment or request."""
    staged, notes = [], []
    with translation.override(uploaded_by.language):
        for item in parsed.attachments:
            upload = ContentFile(item.data, name=item.filename)
            try:
                upload.detected_content_type = validate_upload(upload)  # type: ignore[attr-defined]
            except ValidationError as error:
                notes.append(
                    _("The attachment “%(name)s” was not added: %(reason)s")
                    % {"name": item.filename, "reason": " ".join(error.messages)}
                )
                continue
            staged.append(attachment_stage(uploaded_by=uploaded_by, upload=upload))
    return staged, notes


def _with_notes(body: str, notes: list[str]) -> str:
    return "\n\n".join(part for part in [body.strip(), *notes] if part)


def _comment(*, parsed: ParsedMail, ticket: Ticket, for_agents: bool, verified: str) -> _Decision:
    """The reply as the sender's comment; an answer to an agents' alert as an internal note,
    and only from an agent of the desk. Mail from an agent is taken only when the receiving
    server confirmed the sender."""
    sender = _sender_account(parsed)
    roles = ticket_roles(ticket=ticket, user=sender) if sender is not None and sender.is_active else frozenset()
    if sender is not None and roles and _speaks_for_the_help_desk(sender=sender, roles=roles):
        _require_verified(parsed=parsed, verified=verified, ticket=ticket)
    if for_agents and Role.AGENT not in roles:
        raise _Hold(
            _(
                "%(sender)s answered an alert meant for the agents of %(reference)s but is not one of "
                "them: nothing was added."
            )
            % {"sender": parsed.from_email, "reference": ticket.reference},
            ticket=ticket,
        )
    if sender is None or not roles:
        raise _Hold(
            _(
                "%(sender)s may not comment on %(reference)s: not its requester, a participant, "
                "a vouching role of its organisation or an agent of its desk."
            )
            % {"sender": parsed.from_email, "reference": ticket.reference},
            ticket=ticket,
        )
    uploads, notes = _stage_attachments(parsed=parsed, uploaded_by=sender)
    body = _with_notes(parsed.reply, notes)
    if not body and not uploads:
        raise _Hold(_("The reply is empty once the quoted text is removed."), ticket=ticket)
    try:
        ticket_comment(ticket=ticket, author=sender, body=body, uploads=uploads, internal=for_agents)
    except TicketError as error:
        raise _Hold(str(error), ticket=ticket) from error
    outcome = InboundMessage.Outcome.NOTED if for_agents else InboundMessage.Outcome.COMMENTED
    return _Decision(InboundMessage.Status.PROCESSED, outcome, " ".join(notes), ticket)


def _unconfirmed(user: User | None) -> bool:
    """Nobody has shown that this address is theirs: no account, or a contact account that
    never set a password nor signed in. Mail "from" it may be forged."""
    return user is None or (not user.has_usable_password() and user.last_login is None)


def _new_request(*, parsed: ParsedMail, mailbox: Mailbox, rate_limits: bool, verified: str) -> _Decision:
    """A new request by the rules of the portal: an active desk and type, offered to the
    sender; for senders nobody knows yet, a contact account (no-reply addresses and more than
    one request per address per MAILIN_INVITE_INTERVAL_HOURS refused) or an invitation."""
    desk, request_type = mailbox.desk, mailbox.default_request_type
    if not desk.is_active:
        raise _Hold(_("The desk %(desk)s is not active: no request was opened.") % {"desk": desk.key})
    if not request_type.is_active or request_type.desk_id != desk.pk:
        raise _Hold(
            _("The mailbox's request type “%(type)s” is not active on %(desk)s: no request was opened.")
            % {"type": request_type.name, "desk": desk.key}
        )
    sender = _sender_account(parsed)
    if sender is not None and not sender.is_active:
        raise _Hold(_("The account of %(sender)s is deactivated.") % {"sender": parsed.from_email})
    if sender is not None and _speaks_for_the_help_desk(sender=sender):
        _require_verified(parsed=parsed, verified=verified)
    if sender is None and mailbox.unknown_senders == Mailbox.UnknownSenders.INVITE:
        return _invite(parsed=parsed, mailbox=mailbox)
    if _unconfirmed(sender):
        # A forged sender must make us neither a contact factory nor a mail relay to its victim.
        address = parsed.from_email
        if is_no_reply(address):
            return _Decision(
                InboundMessage.Status.IGNORED,
                reason=_("Unknown no-reply sender; no contact account or request created."),
            )
        if rate_limits and _recent_request_by_mail(address):
            raise _Hold(
                _(
                    "%(sender)s has no confirmed account and opened a request by e-mail in the last %(hours)s "
                    "hours: held, so a forged sender cannot open request after request. Process it again to "
                    "open the request."
                )
                % {"sender": address, "hours": settings.MAILIN_INVITE_INTERVAL_HOURS}
            )
    outcome = InboundMessage.Outcome.CREATED
    if sender is None:
        if request_type.needs_approval:
            raise _Hold(
                _(
                    "“%(type)s” needs an approval, which nobody can give for a new contact: no request was "
                    "opened for %(sender)s."
                )
                % {"type": request_type.name, "sender": parsed.from_email}
            )
        # Rolled back with the rest when a rule below holds the mail.
        sender = user_get_or_create_contact(
            email=parsed.from_email,
            full_name=parsed.from_name or parsed.from_email.split("@")[0],
            language=parsed.language,
        )
        outcome = InboundMessage.Outcome.CREATED_FOR_CONTACT
    if not request_types_for_user(desk=desk, user=sender).filter(pk=request_type.pk).exists():
        raise _Hold(
            _("“%(type)s” is not offered to %(sender)s in the portal: no request was opened.")
            % {"type": request_type.name, "sender": parsed.from_email}
        )
    organization, site = request_organization_unambiguous(user=sender, request_type=request_type)
    if request_type.needs_approval and organization is None:
        raise _Hold(
            _(
                "“%(type)s” needs an approval, but no single organisation of %(sender)s could be chosen "
                "to give it: no request was opened."
            )
            % {"type": request_type.name, "sender": parsed.from_email}
        )
    uploads, notes = _stage_attachments(parsed=parsed, uploaded_by=sender)
    # A forwarded mail is the request itself: keep the forwarded part.
    text = parsed.text if _FORWARD.match(parsed.subject) else parsed.reply
    file_key = request_type.fields.filter(kind=RequestField.Kind.FILE, archived=False).values_list("key", flat=True)
    with translation.override(sender.language):
        summary = parsed.subject[:255] or _("(no subject)")
    values = SubmittedValues(
        summary=summary,
        description=_with_notes(text, notes),
        fields={},
        files={(file_key.first() or ""): uploads} if uploads else {},
    )
    try:
        ticket = ticket_submit(
            request_type=request_type,
            requester=sender,
            values=values,
            organization=organization,
            site=site,
            channel=Channel.EMAIL,
        )
    except TicketError as error:
        raise _Hold(str(error)) from error
    return _Decision(InboundMessage.Status.PROCESSED, outcome, " ".join(notes), ticket)


def _recent_request_by_mail(address: str) -> bool:
    since = timezone.now() - timedelta(hours=settings.MAILIN_INVITE_INTERVAL_HOURS)
    return InboundMessage.objects.filter(
        from_email=address,
        received_at__gte=since,
        status=InboundMessage.Status.PROCESSED,
        outcome__in=[InboundMessage.Outcome.CREATED, InboundMessage.Outcome.CREATED_FOR_CONTACT],
    ).exists()


def _invite(*, parsed: ParsedMail, mailbox: Mailbox) -> _Decision:
    """Answer an unknown sender with an invitation to sign up; once a day per address at most,
    and never to no-reply addresses (a forged sender must not make us a spam relay). It greets
    nobody by name: the From name is the sender's to choose, and the mail goes to the address."""
    address = parsed.from_email
    if is_no_reply(address):
        return _Decision(InboundMessage.Status.IGNORED, reason=_("Unknown no-reply sender; no invitation sent."))
    since = timezone.now() - timedelta(hours=settings.MAILIN_INVITE_INTERVAL_HOURS)
    if notification_sent_recently(kind=INVITATION_KIND, to_email=address, since=since):
        return _Decision(
            InboundMessage.Status.IGNORED,
            reason=_("Unknown sender, already invited to sign up in the last %(hours)s hours.")
            % {"hours": settings.MAILIN_INVITE_INTERVAL_HOURS},
        )
    with translation.override(parsed.language):
        desk = mailbox.desk.display_name
    notification_create(
        kind=INVITATION_KIND,
        to_email=address,
        language=parsed.language,
        template=INVITATION_KIND,
        context={"desk": desk, "signup_url": absolute_url(reverse("accounts:signup"))},
        # Threads the answer under their mail in their client.
        headers={"In-Reply-To": parsed.message_id, "References": parsed.message_id},
    )
    return _Decision(
        InboundMessage.Status.PROCESSED,
        InboundMessage.Outcome.INVITED,
        _("Unknown sender: invited to sign up, no request opened."),
    )


def _too_large(*, parsed: ParsedMail, message: InboundMessage) -> _Decision:
    """A mail over settings.MAILIN_MAX_MESSAGE_BYTES: only its headers were fetched, and it is
    flagged as read, so it is never fetched again. Its sender learns that by e-mail (once per
    MAILIN_INVITE_INTERVAL_HOURS per address, never to no-reply addresses); the row is held so
    admins see it."""
    address = parsed.from_email
    hours = settings.MAILIN_INVITE_INTERVAL_HOURS
    since = timezone.now() - timedelta(hours=hours)
    reason = _(
        "The message is %(size)s bytes, over the limit of %(limit)s: only its headers were kept, and it was "
        "flagged as read in the mailbox, so it will not be fetched again."
    ) % {"size": message.size, "limit": settings.MAILIN_MAX_MESSAGE_BYTES}
    if is_no_reply(address):
        told = _("No notice was sent: the sender is a no-reply address.")
    elif notification_sent_recently(kind=TOO_LARGE_KIND, to_email=address, since=since):
        told = _("The sender was already told about a mail too big in the last %(hours)s hours.") % {"hours": hours}
    else:
        account = _sender_account(parsed)
        language = account.language if account is not None else parsed.language
        with translation.override(language):
            desk = message.mailbox.desk.display_name
        notification_create(
            kind=TOO_LARGE_KIND,
            to_email=address,
            language=language,
            template=TOO_LARGE_KIND,
            context={
                "desk": desk,
                "size": message.size,
                "limit": settings.MAILIN_MAX_MESSAGE_BYTES,
                "portal_url": absolute_url(reverse("portal:home")),
            },
            headers={"In-Reply-To": parsed.message_id, "References": parsed.message_id},
        )
        told = _("The sender was told by e-mail to send smaller files or use the Help Center.")
    return _Decision(InboundMessage.Status.HELD, reason=f"{reason} {told}")
