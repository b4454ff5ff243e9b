"""The forms a page offers, read from its HTML: where each posts, and the values each field can
take there (options, checkboxes, buttons, defaults), so a fuzzer can start from what a browser
would send and break one thing at a time."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit


@dataclass
class PageForm:
    action: str  # a path on this site
    method: str  # "get" or "post"
    multipart: bool
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> values a browser could send
    files: set[str] = field(default_factory=set)


class _FormParser(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[PageForm] = []
        self.form: PageForm | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def _add(self, name: str | None, value: str) -> None:
        if self.form is not None and name:
            values = self.form.fields.setdefault(name, [])
            if value not in values:
                values.append(value)

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urlsplit(urljoin(self.page_url, a.get("action") or self.page_url))
            self.form = PageForm(
                action=action.path + (f"?{action.query}" if action.query else ""),
                method=(a.get("method") or "get").lower(),
                multipart="multipart" in a.get("enctype", ""),
            )
            self.forms.append(self.form)
        elif tag == "input" and self.form is not None:
            kind = a.get("type", "text").lower()
            if kind == "file":
                self.form.files.add(a.get("name", ""))
            elif kind in ("checkbox", "radio"):
                self._add(a.get("name"), a.get("value", "on"))
            elif kind not in ("submit", "image", "reset"):
                self._add(a.get("name"), a.get("value", ""))
            else:
                self._add(a.get("name"), a.get("value", ""))
        elif tag == "button":
            self._add(a.get("name"), a.get("value", ""))
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select:
            self._add(self.select, a.get("value", ""))
        elif tag == "textarea":
            self.textarea = a.get("name")
            self._add(self.textarea, "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea and self.form is not None and data.strip():
            self._add(self.textarea, data.strip())


def page_forms(html: str, *, page_url: str) -> list[PageForm]:
    parser = _FormParser(page_url)
    parser.feed(html)
    return [form for form in parser.forms if form.action.startswith("/") and not form.action.startswith("//")]
