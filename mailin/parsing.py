"""Reading real-world mail: headers, the text of the reply, attachments.

Nothing here raises on bad input: missing or wrong charset labels, broken encoded words and
HTML-only mail all come out as text. Parsing knows no model; services decide what to do.
"""

import email
import email.policy
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from pathlib import PurePath

from mailparser_reply.parser import EmailMessage as ReplyParser

MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# A request reference in a subject, e.g. "Re: Printer [CSD-12]".
SUBJECT_REFERENCE = re.compile(r"\[([A-Za-z][A-Za-z0-9]{0,9}-\d{1,9})\]")


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

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers, nearest first."""
        seen, ids = set(), []
        for message_id in [*self.in_reply_to, *reversed(self.references)]:
            if message_id not in seen:
                seen.add(message_id)
                ids.append(message_id)
        return ids


def parse_mail(raw: bytes) -> ParsedMail:
    """Everything the services need from one raw message."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    headers = {}
    for name in set(message.keys()):
        headers[name.lower()] = header_text(message, name)
    from_name, from_email = _address(headers.get("from", ""))
    text = _body_text(message)
    return ParsedMail(
        message_id=message_id_of(headers.get("message-id", ""), raw),
        from_email=from_email,
        from_name=from_name,
        subject=" ".join(headers.get("subject", "").split())[:255],
        in_reply_to=MESSAGE_ID.findall(headers.get("in-reply-to", "")),
        references=MESSAGE_ID.findall(headers.get("references", "")),
        headers=headers,
        content_type=message.get_content_type(),
        report_type=(message.get_param("report-type", "", header="content-type") or "").lower(),
        text=text,
        reply=strip_reply(text),
        language=_language(headers.get("content-language", "")),
        attachments=list(_attachments(message)),
    )


def message_id_of(value: str, raw: bytes) -> str:
    """The Message-ID in angle brackets; a mail without one gets a stable id from its bytes,
    so fetching it twice still finds the first copy."""
    found = MESSAGE_ID.findall(value)
    if found:
        return found[0][:255]
    return f"<sha256.{hashlib.sha256(raw).hexdigest()}@mailin.invalid>"


def header_text(message: Message, name: str) -> str:
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


def _address(value: str) -> tuple[str, str]:
    addresses = [a for a in getaddresses([value]) if a[1]]
    if not addresses:
        name, address = parseaddr(value)
        addresses = [(name, address)] if "@" in address else []
    if not addresses:
        return "", ""
    name, address = addresses[0]
    return " ".join(name.split())[:150], address.strip().lower()[:254]


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


def _part_text(part: Message) -> str:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken base64 or quoted-printable
        data = None
    if data is None:
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    try:
        charset = part.get_content_charset()
    except Exception:  # noqa: BLE001
        charset = None
    return decode_bytes(data, charset)


def _is_attachment(part: Message) -> bool:
    if part.is_multipart():
        return False
    try:
        disposition = part.get_content_disposition()
        filename = part.get_filename()
    except Exception:  # noqa: BLE001
        disposition, filename = None, None
    return disposition == "attachment" or bool(filename) or part.get_content_maintype() not in ("text",)


def _body_text(message: Message) -> str:
    """Every inline text/plain part in order (Apple Mail splits a body around pictures); the
    HTML parts converted when there is no plain text."""
    plain, html = [], []
    for part in message.walk():
        if part.is_multipart() or _is_attachment(part):
            continue
        subtype = part.get_content_subtype()
        if subtype == "plain":
            plain.append(_part_text(part))
        elif subtype == "html":
            html.append(_part_text(part))
    text = "\n\n".join(plain)
    if not text.strip() and html:
        text = "\n\n".join(html_to_text(h) for h in html)
    return _clean_text(clean_str(text))


def _clean_text(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


class _HtmlText(HTMLParser):
    """HTML to plain text: block elements become line breaks, links keep their address,
    scripts, styles and quoted replies (blockquote, Gmail's quote block) are left out."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "hr", "pre"}
    SKIP = {"script", "style", "head", "title", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.stack: list[tuple[str, bool]] = []
        self.href = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skipping = tag in self.SKIP or "gmail_quote" in (attrs.get("class") or "")
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
            self.href = attrs.get("href")

    def handle_endtag(self, tag):
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

    def handle_data(self, data):
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


def _attachments(message: Message):
    index = 0
    for part in message.walk():
        if part.is_multipart() or not _is_attachment(part):
            continue
        if part.get_content_type() in ("message/delivery-status", "message/disposition-notification"):
            continue
        index += 1
        try:
            data = part.get_payload(decode=True)
        except Exception:  # noqa: BLE001
            data = None
        if data is None:
            data = str(part.get_payload()).encode("utf-8", "surrogateescape")
        try:
            filename = part.get_filename() or ""
        except Exception:  # noqa: BLE001
            filename = ""
        content_type = part.get_content_type()
        yield MailAttachment(_safe_filename(clean_str(filename), content_type, index), content_type, data)
