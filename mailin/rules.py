"""Which inbound mail is never acted on (automatic replies, bounces, list mail, our own mail
coming back, senders that cannot answer) and why, in words the admin reads on the message."""

import re
from email.utils import parseaddr

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.identity import InvalidEmail, email_canonical
from notifications.selectors import notification_message_ids_exist
from tickets.models import ServiceDesk

from .models import Mailbox
from .parsing import FromProblem, ParsedMail

_IGNORED_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}
_NO_REPLY = re.compile(r"^(no-?reply|do-?not-?reply|bounces?)([+.-].*)?$", re.IGNORECASE)


def from_problem_reason(parsed: ParsedMail) -> str:
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


def mail_own_addresses() -> set[str]:
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
    of our own coming back), or "" when it may. own_addresses: as mail_own_addresses() returns."""
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
        own_addresses = mail_own_addresses()
    # parsed.from_email is canonical already (mailin.parsing).
    if parsed.from_email and parsed.from_email in own_addresses:
        return _("Mail loop: sent from our own address %(address)s.") % {"address": parsed.from_email}
    return ""


def is_no_reply(address: str) -> bool:
    return bool(_NO_REPLY.match(address.split("@")[0]))
