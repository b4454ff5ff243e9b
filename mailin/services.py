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

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.identity import InvalidEmail, email_canonical
from accounts.models import User
from accounts.services import user_get_or_create_contact
from notifications.links import absolute_url
from notifications.selectors import (
    notification_headers_for,
    notification_message_ids_exist,
    notification_sent_recently,
)
from notifications.services import notification_create
from tickets.attachments import attachment_stage, validate_upload
from tickets.emails import ticket_thread_parse
from tickets.models import Attachment, Channel, RequestField, ServiceDesk, Ticket
from tickets.selectors import (
    REFERENCE_PATTERN,
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
from .parsing import MESSAGE_ID, FromProblem, ParsedMail, mail_content_hash, message_id_of, parse_mail
from .selectors import inbound_unprocessed

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
INVITATION_KIND = "mailin_signup_invitation"
TOO_LARGE_KIND = "mailin_too_large"
# The outgoing-mail contract: agents' alerts say "X-Helpdesk-Audience: agents".
_AGENTS_AUDIENCE = "agents"
_IGNORED_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}
_NO_REPLY = re.compile(r"^(no-?reply|do-?not-?reply|bounces?)([+.-].*)?$", re.IGNORECASE)
_FORWARD = re.compile(r"^\s*(fwd?|fw|rv|wg|tr|reenv)\s*:", re.IGNORECASE)
# A request reference in a subject counts only right after the reply and forward prefixes (and
# tags such as "[EXTERNAL]" that mail gateways put first), where our own subjects have it:
# "Re: AW: [CSD-12] Printer [CSD-99]" answers CSD-12; the rest is the customer's summary.
_SUBJECT_PREFIX = r"(?:re|fwd?|fw|aw|wg|rv|sv|vs|tr|antw|enc|reenv|odp|r)\s*(?:\[\d+\]|\(\d+\))?\s*[:\uff1a]"
_SUBJECT_REFERENCE = re.compile(rf"^(?:\s*(?:{_SUBJECT_PREFIX}|\[[^\]\d]*\]))*\s*\[([^\]]{{1,24}})\]", re.IGNORECASE)


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
        result.processed = inbound_process_pending(mailbox=mailbox, own_addresses=_own_addresses())
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
    addresses = own_addresses if own_addresses is not None else _own_addresses()
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


def inbound_reprocess(*, message_ids) -> dict[str, int]:
    """Admin action: process held or failed mail again (after a fix, or once the sender may
    comment). Returns how many ended in each status. Mail kept as headers only has nothing to
    process."""
    counts: dict[str, int] = {}
    retryable = [InboundMessage.Status.HELD, InboundMessage.Status.FAILED]
    addresses = _own_addresses()
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
        raise _Hold(_from_problem_reason(parsed))
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


def _from_problem_reason(parsed: ParsedMail) -> str:
    value = {"value": parsed.from_header}
    if parsed.from_problem == FromProblem.MISSING:
        return _("The mail has no sender address.")
    if parsed.from_problem == FromProblem.SEVERAL_HEADERS:
        return _("The mail has more than one From header (%(value)s): it is not clear who sent it.") % value
    if parsed.from_problem == FromProblem.SEVERAL_ADDRESSES:
        return _("The From header names more than one address (%(value)s): it is not clear who sent it.") % value
    if parsed.from_problem == FromProblem.GROUP:
        return _("The From header is a group of addresses (%(value)s): it is not clear who sent it.") % value
    return _("The From header is malformed (%(value)s): it is not clear who sent it.") % value


def _own_addresses() -> set[str]:
    """Our own sender and mailbox addresses: mail from them is a loop. Read once per poll."""
    addresses = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1], parseaddr(settings.SERVER_EMAIL)[1]}
    addresses.update(Mailbox.objects.values_list("email_address", flat=True))
    addresses.update(ServiceDesk.objects.exclude(email_address="").values_list("email_address", flat=True))
    canonical = set()
    for address in filter(None, addresses):
        try:
            canonical.add(email_canonical(address))
        except InvalidEmail:
            continue
    return canonical


def ignore_reason(*, parsed: ParsedMail, own_addresses: set[str] | None = None) -> str:
    """Why this mail must not become a request or comment (auto-reply, bounce, list mail, one
    of our own coming back), or "" when it may. own_addresses: as _own_addresses() returns."""
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
    if parsed.message_id.lower().endswith(f"@{domain}>") or notification_message_ids_exist([parsed.message_id]):
        return _("Mail loop: this is a message we sent (Message-ID %(id)s).") % {"id": parsed.message_id}
    if own_addresses is None:
        own_addresses = _own_addresses()
    # parsed.from_email is canonical already (mailin.parsing).
    if parsed.from_email and parsed.from_email in own_addresses:
        return _("Mail loop: sent from our own address %(address)s.") % {"address": parsed.from_email}
    return ""


# --- Threading -----------------------------------------------------------------------------------


def subject_reference(subject: str) -> str:
    """The request reference ("CSD-12") at the start of a subject, after any Re:/Fwd:/AW:/RV:
    prefixes, as our own subjects have it; "" when there is none there. The same notion of a
    reference as the portal's search (tickets.selectors.REFERENCE_PATTERN)."""
    found = _SUBJECT_REFERENCE.match(subject or "")
    match = REFERENCE_PATTERN.match(found.group(1)) if found else None
    return f"{match.group(1).upper()}-{int(match.group(2))}" if match else ""


def _sent_reference(headers: dict[str, str]) -> tuple[str, bool]:
    """(reference, for agents) of one of our messages, by the outgoing-mail contract: the
    reference header, else our thread id in References / In-Reply-To, else the subject."""
    for_agents = headers.get("x-helpdesk-audience", "").strip().lower() == _AGENTS_AUDIENCE
    reference = headers.get("x-helpdesk-reference", "").strip().upper()
    for value in (headers.get("references", ""), headers.get("in-reply-to", "")):
        for message_id in MESSAGE_ID.findall(value):
            ours = ticket_thread_parse(message_id)
            if ours is not None:
                reference = reference or ours[0]
                for_agents = for_agents or ours[1]
    return reference or subject_reference(headers.get("subject", "")), for_agents


@dataclass(frozen=True)
class Thread:
    ticket: Ticket | None
    # The mail answers an alert only the desk's agents got: never a public comment.
    for_agents: bool = False


def thread_ticket(*, parsed: ParsedMail) -> Thread:
    """The request this mail answers: by In-Reply-To / References (our thread id, one of our
    messages, or an earlier mail of the request; the nearest THREAD_IDS_MAX), then by the
    reference at the start of the subject. A few queries, however many ids the mail lists."""
    references: list[str] = []
    # Our agents' thread id anywhere in the chain keeps the answer internal; recognising it
    # takes no query, so no id is too far back.
    for_agents = any((ticket_thread_parse(message_id) or ("", False))[1] for message_id in parsed.all_thread_ids)
    thread_ids = parsed.thread_ids
    if thread_ids:
        sent = notification_headers_for(thread_ids)
        inbound: dict[str, tuple[str, bool]] = {}
        for message_id, reference, outcome in InboundMessage.objects.filter(
            message_id__in=thread_ids, ticket__isnull=False
        ).values_list("message_id", "ticket__reference", "outcome"):
            # An agent's earlier mail that became an internal note keeps its thread internal.
            noted = outcome == InboundMessage.Outcome.NOTED or inbound.get(message_id, ("", False))[1]
            inbound[message_id] = (inbound.get(message_id, (reference, False))[0], noted)
        for message_id in thread_ids:
            reference, agents = "", False
            ours = ticket_thread_parse(message_id)
            if ours is not None:
                reference, agents = ours
            elif message_id in sent:
                reference, agents = _sent_reference(sent[message_id])
            elif message_id in inbound:
                reference, agents = inbound[message_id]
            for_agents = for_agents or agents
            if reference:
                references.append(reference)
    in_subject = subject_reference(parsed.subject)
    if in_subject:
        references.append(in_subject)
    found = {t.reference: t for t in Ticket.objects.filter(reference__in=set(references)).select_related("desk")}
    for reference in references:
        ticket = found.get(reference)
        if ticket is not None:
            # A duplicate merged into another request: the conversation goes on there.
            for _hop in range(5):
                if ticket.merged_into_id is None:
                    break
                ticket = Ticket.objects.select_related("desk").get(pk=ticket.merged_into_id)
            return Thread(ticket, for_agents)
    return Thread(None, for_agents)


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
    if not roles:
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


def _is_no_reply(address: str) -> bool:
    return bool(_NO_REPLY.match(address.split("@")[0]))


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
        if _is_no_reply(address):
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
    if _is_no_reply(address):
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
    if _is_no_reply(address):
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
