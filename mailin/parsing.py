"""Reading real-world mail: headers, the text of the reply, attachments.

Nothing here raises on bad input: missing or wrong charset labels, broken encoded words and
HTML-only mail all come out as text. Parsing knows no model; services decide what to do.
"""

import email
import email.errors
import email.policy
import hashlib
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message, MIMEPart
from html.parser import HTMLParser
from pathlib import PurePath

from mailparser_reply.parser import EmailMessage as ReplyParser

from accounts.identity import InvalidEmail, email_canonical

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# Threading looks at the nearest ids only: a References header can carry thousands.
THREAD_IDS_MAX = 50
# Added on the way to us, so the same mail delivered twice (or by two routes) differs in them.
TRACE_HEADERS = frozenset(
    {
        "received", "x-received", "return-path", "delivered-to", "x-delivered-to", "x-original-to",
        "envelope-to", "dkim-signature", "x-google-dkim-signature", "domainkey-signature", "arc-seal",
        "arc-message-signature", "arc-authentication-results", "authentication-results", "received-spf",
        "x-spam-status", "x-spam-score", "x-spam-level", "x-spam-flag", "x-spam-checker-version",
        "x-virus-scanned",
    }
)  # fmt: skip
_HEADER_NAME = re.compile(rb"^([!-9;-~]+)[ \t]*:")


class FromProblem:
    """Why the sender of a mail is not clear (ParsedMail.from_problem); "" when it is."""

    MISSING = "missing"
    SEVERAL_HEADERS = "several_headers"
    SEVERAL_ADDRESSES = "several_addresses"
    GROUP = "group"
    MALFORMED = "malformed"


# Defects that do not make the address a guess: the text of a display name (raw 8-bit bytes,
# an unknown charset in an encoded word) and obsolete syntax RFC 5322 says to accept ("Dr. Who
# <who@x>" has a period in an unquoted name). The tricks ("a@x <b@y>", "<a@x> b@y") also give an
# InvalidHeaderDefect, which is never let through.
_HARMLESS_FROM_DEFECTS = (
    email.errors.UndecodableBytesDefect,
    email.errors.CharsetError,
    email.errors.ObsoleteHeaderDefect,
)


@dataclass
class MailAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    message_id: str
    from_email: str
    from_name: str
    subject: str
    in_reply_to: list[str]
    references: list[str]
    headers: dict[str, str]  # lower-cased name -> decoded value (first occurrence)
    content_type: str
    report_type: str
    text: str  # the whole text body (HTML converted)
    reply: str  # the text without quoted history and signature
    language: str
    attachments: list[MailAttachment] = field(default_factory=list)
    content_hash: str = ""  # of the raw bytes without trace headers
    from_problem: str = ""  # a FromProblem value when the sender is not clear
    from_header: str = ""  # every From header as written, for the reason shown to admins
    # Every Authentication-Results header, as written (mailin.authentication reads them).
    authentication_results: list[str] = field(default_factory=list)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def all_thread_ids(self) -> list[str]:
        """Every Message-ID this mail answers, nearest first."""
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs worth looking up, at most THREAD_IDS_MAX: the nearest ones, and the
        root of the thread (the first References entry, which clients keep however they trim)."""
        ids = self.all_thread_ids
        if len(ids) <= THREAD_IDS_MAX:
            return ids
        root = self.references[0] if self.references else ids[THREAD_IDS_MAX - 1]
        nearest = [message_id for message_id in ids[:THREAD_IDS_MAX] if message_id != root]
        return [*nearest[: THREAD_IDS_MAX - 1], root]


def parse_mail(raw: bytes) -> ParsedMail:
    """Everything the services need from one raw message."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    headers = {}
    for name in set(message.keys()):
        headers[name.lower()] = header_text(message, name)
    from_name, from_email, from_problem, from_header = _sender(message)
    text = _body_text(message)
    content_hash = mail_content_hash(raw)
    return ParsedMail(
        message_id=message_id_of(headers.get("message-id", ""), content_hash),
        from_email=from_email,
        from_name=from_name,
        subject=" ".join(headers.get("subject", "").split())[:255],
        in_reply_to=MESSAGE_ID.findall(headers.get("in-reply-to", "")),
        references=MESSAGE_ID.findall(headers.get("references", "")),
        headers=headers,
        content_type=message.get_content_type(),
        report_type=str(message.get_param("report-type", "", header="content-type") or "").lower(),
        text=text,
        reply=strip_reply(text),
        language=_language(headers.get("content-language", "")),
        attachments=list(_attachments(message)),
        content_hash=content_hash,
        from_problem=from_problem,
        from_header=from_header,
        authentication_results=[
            clean_str(str(value)) for name, value in message.raw_items() if name.lower() == "authentication-results"
        ],
    )


def mail_content_hash(raw: bytes) -> str:
    """SHA-256 of the mail without its trace headers (Received, Return-Path, Delivered-To,
    DKIM and ARC signatures, Authentication-Results, …) and with one kind of line ending: the
    same mail delivered twice, or by two routes, has the same hash; a different one does not."""
    normalised = raw.replace(b"\r\n", b"\n")
    head, separator, body = normalised.partition(b"\n\n")
    kept, skipping = [], False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):  # a folded continuation of the header above
            if not skipping:
                kept.append(line)
            continue
        name = _HEADER_NAME.match(line)
        skipping = name is not None and name.group(1).decode("ascii").lower() in TRACE_HEADERS
        if not skipping:
            kept.append(line)
    digest = hashlib.sha256(b"\n".join(kept) + separator + body.rstrip(b"\n"))
    return digest.hexdigest()


def message_id_of(value: str, content_hash: str) -> str:
    """The Message-ID in angle brackets; a mail without one gets a stable id from its content
    hash, so fetching it twice (even delivered twice) still finds the first copy."""
    found: list[str] = MESSAGE_ID.findall(value)  # no groups: the whole matches
    if found:
        return found[0][:255]
    return f"<sha256.{content_hash}@mailin.invalid>"


def header_text(message: MIMEPart, name: str) -> str:
    """One header, RFC 2047 words decoded; never raises on a malformed value."""
    try:
        value = message.get(name)
        text = "" if value is None else str(value)
    except Exception:  # noqa: BLE001 - the policy's parser chokes on some real headers
        text = next((str(v) for k, v in message.raw_items() if k.lower() == name.lower()), "")
        text = _decode_words(text)
    if "\ufffd" in text:
        # The policy replaced raw 8-bit bytes it could not decode; read them ourselves.
        raw = next((str(v) for k, v in message.raw_items() if k.lower() == name.lower()), "")
        if raw and "\ufffd" not in raw:
            text = _decode_words(" ".join(clean_str(raw).split()))
    return clean_str(text)


def _decode_words(text: str) -> str:
    try:
        return str(make_header(decode_header(text)))
    except Exception:  # noqa: BLE001 - unknown charset in an encoded word: keep it as it came
        return text


def clean_str(text: str) -> str:
    """Undo the surrogate escapes of raw 8-bit bytes (decoded as UTF-8, else windows-1252) and
    drop NUL characters, which PostgreSQL refuses in text."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = decode_bytes(text.encode("utf-8", "surrogateescape"), None)
    return text.replace("\x00", "")


def _sender(message: MIMEPart) -> tuple[str, str, str, str]:
    """(name, address, problem, the From headers as written). The address counts only when
    it is the one thing the mail can mean: exactly one From header holding exactly one
    address, no group, nothing the parser had to guess at. Otherwise it is "" and the problem
    says why (the services hold such mail): "customer@x <outsider@y>", "a@x, b@y", "Team: a@x,
    b@y;" or two From headers must not let one person write as another."""
    values = [clean_str(" ".join(str(v).split())) for k, v in message.raw_items() if k.lower() == "from"]
    written = " | ".join(values)[:1000]
    if not values:
        return "", "", FromProblem.MISSING, ""
    if len(values) > 1:
        return "", "", FromProblem.SEVERAL_HEADERS, written
    try:
        # Parsed from the decoded text, so raw 8-bit names are read as the words they are.
        header = email.policy.default.header_factory("from", values[0])
        groups, addresses = header.groups, header.addresses
        defects = [d for d in header.defects if not isinstance(d, _HARMLESS_FROM_DEFECTS)]
    except Exception:  # noqa: BLE001 - the policy's parser chokes on some real headers
        return "", "", FromProblem.MALFORMED, written
    if defects:
        return "", "", FromProblem.MALFORMED, written
    if any(group.display_name is not None for group in groups):
        return "", "", FromProblem.GROUP, written
    if len(addresses) != 1:
        problem = FromProblem.SEVERAL_ADDRESSES if addresses else FromProblem.MISSING
        return "", "", problem, written
    try:
        # The one identity rule (accounts.identity): no canonical form, no clear sender.
        address = email_canonical(addresses[0].addr_spec)
    except InvalidEmail:
        return "", "", FromProblem.MALFORMED, written
    name = " ".join(clean_str(addresses[0].display_name).split())
    if "@" in name:
        # '"boss@example.org" <someone@else.example>': the name would only mislead.
        name = ""
    return name[:150], address, "", written


def _language(value: str) -> str:
    return "es" if value.strip().lower().startswith("es") else "en"


# --- Bodies -----------------------------------------------------------------------------------

# WHATWG's rule: a mail labelled Latin-1 or ASCII is decoded as windows-1252, a superset that
# also maps the curly quotes Outlook puts in 0x80-0x9f.
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252"}


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from bytes under a label that may be missing, unknown or wrong."""
    candidates = []
    if charset:
        label = charset.strip().strip('"').lower()
        candidates.append(_CHARSET_ALIASES.get(label, label))
    candidates.append("utf-8")
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", errors="replace")


def _part_text(part: MIMEPart) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken base64 or quoted-printable
        data = None
    if not isinstance(data, bytes):
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    try:
        charset = part.get_content_charset()
    except Exception:  # noqa: BLE001
        charset = None
    return decode_bytes(data, charset)


def _leaves(message: MIMEPart) -> Iterator[MIMEPart]:
    """The non-multipart parts in order, without going into an attached mail (message/rfc822
    and the like): it is one file of this mail, never part of its text or its attachments."""
    if message.is_multipart() and message.get_content_maintype() != "message":
        for part in message.iter_parts():
            yield from _leaves(part)
    else:
        yield message


def _disposition_and_filename(part: MIMEPart) -> tuple[str | None, str]:
    try:
        return part.get_content_disposition(), part.get_filename() or ""
    except Exception:  # noqa: BLE001 - a malformed parameter
        return None, ""


def _is_body_text(part: MIMEPart) -> bool:
    return part.get_content_type() in ("text/plain", "text/html")


def _is_attachment(part: MIMEPart, *, only_text_part: bool = False) -> bool:
    """A file rather than text to read. A plain or HTML part is text unless it says it is an
    attachment, or has a name; a named one with no Content-Disposition at all is still the body
    when it is the mail's only text (some mailers name every part)."""
    if part.get_content_maintype() == "message":
        return part.get_content_type() not in _REPORT_PARTS
    disposition, filename = _disposition_and_filename(part)
    if disposition == "attachment" or part.get_content_maintype() != "text":
        return True
    if not filename:
        return False
    return not (only_text_part and _is_body_text(part) and "content-disposition" not in part)


def _only_text_part(message: MIMEPart) -> MIMEPart | None:
    texts = [
        part for part in _leaves(message) if _is_body_text(part) and _disposition_and_filename(part)[0] != "attachment"
    ]
    return texts[0] if len(texts) == 1 else None


def _text_of(part: MIMEPart, only_text: MIMEPart | None) -> str:
    """A part's text: a multipart/alternative gives its plain-text version (HTML converted when
    it has none), any other multipart the text of each part in order (Apple Mail splits a body
    around pictures), an attached mail nothing."""
    if part.get_content_maintype() == "message":
        return ""
    if part.is_multipart():
        children = [(child, _text_of(child, only_text)) for child in part.iter_parts()]
        if part.get_content_subtype() == "alternative":
            plain = [text for child, text in children if child.get_content_type() == "text/plain" and text.strip()]
            others = [text for child, text in children if text.strip()]
            return plain[0] if plain else (others[-1] if others else "")
        return "\n\n".join(text for _child, text in children if text.strip())
    if not _is_body_text(part) or _is_attachment(part, only_text_part=part is only_text):
        return ""
    text = _part_text(part)
    return html_to_text(text) if part.get_content_subtype() == "html" else text


def _body_text(message: MIMEPart) -> str:
    """The text of the mail: see _text_of."""
    return _clean_text(clean_str(_text_of(message, _only_text_part(message))))


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class _HtmlText(HTMLParser):
    """HTML to plain text: block elements become line breaks, links keep their address,
    scripts, styles and quoted replies (blockquote, Gmail's quote block) are left out."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "hr", "pre"}
    SKIP = {"script", "style", "head", "title", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.stack: list[tuple[str, bool]] = []
        self.href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        skipping = tag in self.SKIP or "gmail_quote" in (attributes.get("class") or "")
        if tag not in ("br", "hr", "img", "meta", "link", "input"):
            self.stack.append((tag, skipping))
            if skipping:
                self.skip_depth += 1
        if self.skip_depth:
            return
        if tag in self.BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")
        if tag == "a":
            self.href = attributes.get("href")

    def handle_endtag(self, tag: str) -> None:
        # Pop to the matching start tag: real mail HTML leaves many tags unclosed.
        if not any(name == tag for name, _ in self.stack):
            return
        while self.stack:
            name, skipping = self.stack.pop()
            if skipping:
                self.skip_depth -= 1
            if name == tag:
                break
        if self.skip_depth:
            return
        if tag == "a" and self.href and self.href.startswith(("http://", "https://")):
            self.parts.append(f" ({self.href})")
            self.href = None
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.parts.append(re.sub(r"[ \t\r\n\xa0]+", " ", data))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - never fail a mail on its markup
        return re.sub(r"<[^>]+>", " ", html)
    return parser.text()


# --- Quoted history and signatures --------------------------------------------------------------

# mail-parser-reply finds where the quoted history starts ("On … wrote:", Outlook's
# "From: … Sent: …" block, "-----Original Message-----") in several languages. Its signature
# rules are left out on purpose: they cut everything after a line starting "Thanks," and so
# would drop real text. Signatures are cut here, conservatively.
REPLY_LANGUAGES = ["en", "es", "fr", "de", "it", "nl", "pt"]
_SIGNATURE_DELIMITER = re.compile(r"^-- ?$")
_MOBILE_FOOTER = re.compile(
    r"^(sent from my .{1,40}|sent from (outlook|mail) for .{1,40}|get outlook for .{1,40}"
    r"|enviado desde mi .{1,40}|obtener outlook para .{1,40})$",
    re.IGNORECASE,
)
# "… wrote:" lines the library misses (e.g. Gmail in Spanish: "El … (<a@b>) escribió:").
_WROTE_LINE = re.compile(r"^(on|el|le|am|il|op)\s.{4,200}\s(wrote|escribió|a écrit|schrieb|ha scritto|schreef):$", re.I)


def strip_reply(text: str) -> str:
    """The new text of a reply: quoted history, signature and mobile footers removed. When that
    leaves nothing, the whole text is kept (better a long comment than a lost one)."""
    if not text.strip():
        return ""
    try:
        replies = ReplyParser(text=text, languages=list(REPLY_LANGUAGES), keep_hyphen_lists=True).read().replies
        latest = replies[0].content if replies else text
    except Exception:  # noqa: BLE001 - a regex library must not lose a mail
        latest = text
    lines = latest.replace("\r\n", "\n").split("\n")
    kept = []
    for line in lines:
        stripped = line.strip()
        if _SIGNATURE_DELIMITER.match(stripped) or _WROTE_LINE.match(stripped):
            break
        kept.append(line)
    # Trailing quoted lines and mobile footers.
    while kept and _trailing_noise(kept[-1]):
        kept.pop()
    result = "\n".join(kept).strip()
    return result if result else ("" if _only_noise(text) else text.strip())


def _trailing_noise(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith(">") or bool(_MOBILE_FOOTER.match(stripped))


def _only_noise(text: str) -> bool:
    """True when a text is nothing but quotes, a footer or a signature."""
    for line in text.split("\n"):
        stripped = line.strip()
        if _SIGNATURE_DELIMITER.match(stripped):
            return True
        if stripped and not stripped.startswith(">") and not _MOBILE_FOOTER.match(stripped):
            if not _WROTE_LINE.match(stripped):
                return False
    return True


# --- Attachments ---------------------------------------------------------------------------------


def _safe_filename(name: str, content_type: str, index: int) -> str:
    name = re.sub(r"[\x00-\x1f\x7f]", "", name or "")
    name = PurePath(name.replace("\\", "/")).name.strip().strip(".")
    if not name:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        name = f"attachment-{index}{extension}"
    return name[:200]


_REPORT_PARTS = ("message/delivery-status", "message/disposition-notification")
FORWARDED_FILENAME = "forwarded.eml"


def _attached_mail_bytes(part: MIMEPart) -> bytes:
    payload = part.get_payload()
    inner = payload[0] if isinstance(payload, list) and payload else None
    if isinstance(inner, Message):
        try:
            return inner.as_bytes(policy=email.policy.SMTP)
        except Exception:  # noqa: BLE001 - re-serialising a broken mail
            return str(inner).encode("utf-8", "surrogateescape")
    return str(payload).encode("utf-8", "surrogateescape")


def _attachments(message: MIMEPart) -> Iterator[MailAttachment]:
    index = 0
    only_text = _only_text_part(message)
    for part in _leaves(message):
        if not _is_attachment(part, only_text_part=part is only_text):
            continue
        index += 1
        content_type = part.get_content_type()
        _disposition, filename = _disposition_and_filename(part)
        data: object  # bytes by the time it is used; get_payload may give anything
        if part.get_content_maintype() == "message":
            # An attached (forwarded) mail is kept whole, as one file.
            data = _attached_mail_bytes(part)
            filename = filename or FORWARDED_FILENAME
        else:
            try:
                data = part.get_payload(decode=True)
            except Exception:  # noqa: BLE001
                data = None
            if not isinstance(data, bytes):
                data = str(part.get_payload()).encode("utf-8", "surrogateescape")
        yield MailAttachment(_safe_filename(clean_str(filename), content_type, index), content_type, data or b"")
