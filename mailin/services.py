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
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import normalize_email, user_get_or_create_contact
from notifications.models import Notification
from notifications.services import notification_create
from tickets.attachments import attachment_stage, validate_upload
from tickets.forms import eligible_organizations, eligible_sites
from tickets.models import Attachment, Channel, RequestField, RequestType, ServiceDesk, Ticket
from tickets.selectors import ticket_roles
from tickets.services import TicketError, ticket_comment, ticket_submit
from tickets.values import SubmittedValues

from .imap import ImapError, ImapSettings, imap_session
from .models import InboundMessage, Mailbox
from .parsing import SUBJECT_REFERENCE, ParsedMail, message_id_of, parse_mail
from .selectors import inbound_unprocessed

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
INVITATION_KIND = "mailin_signup_invitation"
_IGNORED_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}
_NO_REPLY = re.compile(r"^(no-?reply|do-?not-?reply|bounces?)([+.-].*)?$", re.IGNORECASE)
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
    time_budget seconds), keep each, flag it \\Seen, then process what is waiting. Records the
    poll on the mailbox (last polled / last success / last error). Never raises for one bad mail
    or a server that is down: that is recorded and retried on the next poll."""
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
                    # Only now, with our copy committed, does the server learn we have it.
                    session.mark_seen(uid)
        except Exception as exc:  # noqa: BLE001 - recorded on the mailbox, shown to admins
            if not isinstance(exc, ImapError):
                logger.exception("polling mailbox %s failed", mailbox.pk)
            result.error = f"{exc.__class__.__name__}: {exc}"[:2000]
            Mailbox.objects.filter(pk=mailbox.pk).update(last_error=result.error, last_error_at=timezone.now())
        else:
            Mailbox.objects.filter(pk=mailbox.pk).update(last_success_at=timezone.now(), last_error="")
        result.processed = inbound_process_pending(mailbox=mailbox)
    finally:
        Mailbox.objects.filter(pk=mailbox.pk, lease_until=lease).update(lease_until=None)
    return result


def inbound_receive(
    *, mailbox: Mailbox, raw: bytes, size: int | None = None, headers_only: bool = False
) -> tuple[InboundMessage, bool]:
    """Keep one fetched mail: its raw bytes in the default storage and a row, committed. A
    Message-ID already kept returns that row (created=False): a mail seen twice is one row."""
    try:
        parsed = parse_mail(raw)
        message_id, from_email, from_name, subject = (
            parsed.message_id, parsed.from_email, parsed.from_name, parsed.subject,
        )  # fmt: skip
    except Exception:  # noqa: BLE001 - keep it anyway; processing will record why it fails
        logger.exception("cannot read the headers of a mail in mailbox %s", mailbox.pk)
        message_id, from_email, from_name, subject = message_id_of("", raw), "", "", ""
    existing = InboundMessage.objects.filter(message_id=message_id).first()
    if existing is not None:
        return existing, False
    message = InboundMessage(
        mailbox=mailbox,
        message_id=message_id,
        size=size or len(raw),
        from_email=from_email,
        from_name=from_name,
        subject=subject,
    )
    if headers_only:
        message.status = InboundMessage.Status.HELD
        message.reason = _(
            "The message is %(size)s bytes, over the limit of %(limit)s: only its headers were kept. "
            "It is still in the mailbox."
        ) % {"size": size, "limit": settings.MAILIN_MAX_MESSAGE_BYTES}
    # The file is written before the row, like attachments: a crash in between leaves an
    # orphan file, never a row without its mail.
    message.raw.save("mail.eml", ContentFile(raw), save=False)
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # Another poller kept the same mail a moment ago.
        message.raw.delete(save=False)
        return InboundMessage.objects.get(message_id=message_id), False
    return message, True


def inbound_process_pending(*, mailbox: Mailbox, limit: int = 200) -> int:
    """Process this mailbox's mail that is kept but not processed yet (also after a crash)."""
    count = 0
    for message in list(inbound_unprocessed(mailbox=mailbox)[:limit]):
        inbound_process(message=message)
        count += 1
    return count


# --- Processing --------------------------------------------------------------------------------


def inbound_process(*, message: InboundMessage) -> InboundMessage:
    """Turn one kept mail into a request or a comment, or record why not (ignored, held for an
    admin, failed). Row-locked, so two pollers never process the same mail; safe to call twice."""
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
                decision = _decide(locked)
        except _Hold as hold:
            decision = _Decision(InboundMessage.Status.HELD, reason=hold.reason, ticket=hold.ticket)
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


def inbound_reprocess(*, message_ids) -> dict[str, int]:
    """Admin action: process held or failed mail again (after a fix, or once the sender may
    comment). Returns how many ended in each status."""
    counts: dict[str, int] = {}
    retryable = [InboundMessage.Status.HELD, InboundMessage.Status.FAILED]
    for pk in list(InboundMessage.objects.filter(pk__in=list(message_ids)).values_list("pk", flat=True)):
        reset = InboundMessage.objects.filter(
            pk=pk, status__in=retryable, size__lte=settings.MAILIN_MAX_MESSAGE_BYTES
        ).update(status=InboundMessage.Status.RECEIVED)
        if not reset:
            continue
        message = inbound_process(message=InboundMessage(pk=pk))
        counts[message.status] = counts.get(message.status, 0) + 1
    return counts


def _decide(message: InboundMessage) -> _Decision:
    with message.raw.open("rb") as stored:
        raw = stored.read()
    parsed = parse_mail(raw)
    reason = ignore_reason(parsed=parsed)
    if reason:
        return _Decision(InboundMessage.Status.IGNORED, reason=reason)
    if not parsed.from_email or "@" not in parsed.from_email:
        raise _Hold(_("The mail has no sender address."))
    ticket = thread_ticket(parsed=parsed)
    if ticket is not None:
        return _comment(parsed=parsed, ticket=ticket)
    return _new_request(parsed=parsed, mailbox=message.mailbox)


def _own_addresses() -> set[str]:
    addresses = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1], parseaddr(settings.SERVER_EMAIL)[1]}
    addresses.update(Mailbox.objects.values_list("email_address", flat=True))
    addresses.update(ServiceDesk.objects.exclude(email_address="").values_list("email_address", flat=True))
    return {normalize_email(a) for a in addresses if a}


def ignore_reason(*, parsed: ParsedMail) -> str:
    """Why this mail must not become a request or comment (auto-reply, bounce, list mail, one
    of our own coming back), or "" when it may."""
    auto_submitted = parsed.header("auto-submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return _("Automatic reply (Auto-Submitted: %(value)s).") % {"value": auto_submitted}
    precedence = parsed.header("precedence").strip().lower()
    if precedence in _IGNORED_PRECEDENCE:
        return _("Bulk or automatic mail (Precedence: %(value)s).") % {"value": precedence}
    for name in ("X-Autoreply", "X-Autorespond"):
        if name.lower() in parsed.headers:
            return _("Automatic reply (%(header)s: %(value)s).") % {"header": name, "value": parsed.header(name)}
    if parsed.content_type == "multipart/report":
        return _("Delivery or read report (%(type)s).") % {"type": parsed.report_type or "multipart/report"}
    if "return-path" in parsed.headers and parsed.header("return-path").strip() in ("<>", ""):
        return _("Bounce (empty Return-Path).")
    if parsed.from_email.split("@")[0] in _BOUNCE_SENDERS:
        return _("Bounce (from %(sender)s).") % {"sender": parsed.from_email}
    domain = settings.EMAIL_MESSAGE_ID_DOMAIN.lower()
    if (
        parsed.message_id.lower().endswith(f"@{domain}>")
        or Notification.objects.filter(message_id=parsed.message_id).exists()
    ):
        return _("Mail loop: this is a message we sent (Message-ID %(id)s).") % {"id": parsed.message_id}
    if parsed.from_email and normalize_email(parsed.from_email) in _own_addresses():
        return _("Mail loop: sent from our own address %(address)s.") % {"address": parsed.from_email}
    return ""


# --- Threading -----------------------------------------------------------------------------------


def _notification_reference(notification: Notification) -> str:
    """The request one of our messages was about, by the outgoing-mail contract."""
    headers = {str(k).lower(): str(v) for k, v in (notification.headers or {}).items()}
    if headers.get("x-helpdesk-reference"):
        return headers["x-helpdesk-reference"].strip()
    for value in (headers.get("references", ""), headers.get("in-reply-to", "")):
        reference = _reference_in_ticket_id(value)
        if reference:
            return reference
    found = SUBJECT_REFERENCE.findall(notification.subject)
    return found[-1] if found else ""


def _reference_in_ticket_id(value: str) -> str:
    """CSD-12 from "<ticket.CSD-12@DOMAIN>", the id every message about a request refers to."""
    domain = re.escape(settings.EMAIL_MESSAGE_ID_DOMAIN)
    found = re.search(rf"<ticket\.([A-Za-z][A-Za-z0-9]{{0,9}}-\d{{1,9}})@{domain}>", value, re.IGNORECASE)
    return found.group(1) if found else ""


def thread_ticket(*, parsed: ParsedMail) -> Ticket | None:
    """The request this mail answers: by In-Reply-To / References (our ticket id, one of our
    messages, or an earlier mail of the request), then by a reference in the subject."""
    references: list[str] = []
    thread_ids = parsed.thread_ids
    if thread_ids:
        notifications = {n.message_id: n for n in Notification.objects.filter(message_id__in=thread_ids)}
        inbound = dict(
            InboundMessage.objects.filter(message_id__in=thread_ids, ticket__isnull=False).values_list(
                "message_id", "ticket__reference"
            )
        )
        for message_id in thread_ids:
            reference = _reference_in_ticket_id(message_id)
            if not reference and message_id in notifications:
                reference = _notification_reference(notifications[message_id])
            if not reference:
                reference = inbound.get(message_id, "")
            if reference:
                references.append(reference)
    references += reversed(SUBJECT_REFERENCE.findall(parsed.subject))
    for reference in references:
        ticket = Ticket.objects.filter(reference=reference.upper()).select_related("desk").first()
        if ticket is not None:
            # A duplicate merged into another request: the conversation goes on there.
            for _hop in range(5):
                if ticket.merged_into_id is None:
                    break
                ticket = Ticket.objects.select_related("desk").get(pk=ticket.merged_into_id)
            return ticket
    return None


# --- Comments and new requests -------------------------------------------------------------------


def _sender(parsed: ParsedMail) -> User | None:
    return User.objects.filter(email__iexact=normalize_email(parsed.from_email)).first()


def _stage_attachments(*, parsed: ParsedMail, uploaded_by: User) -> tuple[list[Attachment], list[str]]:
    """Store the files the portal would accept (same limits and content checks); describe the rest."""
    staged, notes = [], []
    for item in parsed.attachments:
        upload = ContentFile(item.data, name=item.filename)
        try:
            upload.detected_content_type = validate_upload(upload)
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


def _comment(*, parsed: ParsedMail, ticket: Ticket) -> _Decision:
    sender = _sender(parsed)
    if sender is None or not sender.is_active or not ticket_roles(ticket=ticket, user=sender):
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
        ticket_comment(ticket=ticket, author=sender, body=body, uploads=uploads)
    except TicketError as error:
        raise _Hold(str(error), ticket=ticket) from error
    return _Decision(InboundMessage.Status.PROCESSED, InboundMessage.Outcome.COMMENTED, " ".join(notes), ticket)


def _organization_and_site(*, user: User, request_type: RequestType):
    """As the portal form chooses when nobody picks: the only eligible site, else the first
    eligible organisation."""
    sites = list(eligible_sites(user=user, request_type=request_type)[:2])
    if len(sites) == 1:
        return sites[0].organization, sites[0]
    return eligible_organizations(user=user, request_type=request_type).first(), None


def _new_request(*, parsed: ParsedMail, mailbox: Mailbox) -> _Decision:
    request_type = mailbox.default_request_type
    sender = _sender(parsed)
    outcome = InboundMessage.Outcome.CREATED
    if sender is not None and not sender.is_active:
        raise _Hold(_("The account of %(sender)s is deactivated.") % {"sender": parsed.from_email})
    if sender is None:
        if mailbox.unknown_senders == Mailbox.UnknownSenders.INVITE:
            return _invite(parsed=parsed, mailbox=mailbox)
        sender = user_get_or_create_contact(
            email=parsed.from_email,
            full_name=parsed.from_name or parsed.from_email.split("@")[0],
            language=parsed.language,
        )
        outcome = InboundMessage.Outcome.CREATED_FOR_CONTACT
    organization, site = _organization_and_site(user=sender, request_type=request_type)
    uploads, notes = _stage_attachments(parsed=parsed, uploaded_by=sender)
    # A forwarded mail is the request itself: keep the forwarded part.
    text = parsed.text if _FORWARD.match(parsed.subject) else parsed.reply
    file_key = request_type.fields.filter(kind=RequestField.Kind.FILE, archived=False).values_list("key", flat=True)
    values = SubmittedValues(
        summary=parsed.subject[:255] or _("(no subject)"),
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


def _invite(*, parsed: ParsedMail, mailbox: Mailbox) -> _Decision:
    """Answer an unknown sender with an invitation to sign up; once a day per address at most,
    and never to no-reply addresses (a forged sender must not make us a spam relay)."""
    address = normalize_email(parsed.from_email)
    if _NO_REPLY.match(address.split("@")[0]):
        return _Decision(InboundMessage.Status.IGNORED, reason=_("Unknown no-reply sender; no invitation sent."))
    since = timezone.now() - timedelta(hours=settings.MAILIN_INVITE_INTERVAL_HOURS)
    if Notification.objects.filter(kind=INVITATION_KIND, to_email=address, created_at__gte=since).exists():
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
        context={
            "name": parsed.from_name,
            "desk": desk,
            "signup_url": settings.SITE_URL + reverse("accounts:signup"),
        },
        # Threads the answer under their mail in their client.
        headers={"In-Reply-To": parsed.message_id, "References": parsed.message_id},
    )
    return _Decision(
        InboundMessage.Status.PROCESSED,
        InboundMessage.Outcome.INVITED,
        _("Unknown sender: invited to sign up, no request opened."),
    )
