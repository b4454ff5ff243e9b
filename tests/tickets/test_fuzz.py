"""Bad input never answers 5xx. Every URL of the portal, agent pages, accounts, help articles and
the API, as nobody, a customer, Tier I, Tier II and an outsider, with garbage ids, wrong types,
missing and repeated fields, huge and NUL values, and odd files: only 2xx, 3xx or 4xx.

A sweep sends every URL a few fixed nasty payloads as every user; then Hypothesis (derandomized,
so CI runs the same examples every time; FUZZ_EXAMPLES=2000 to dig deeper locally) mixes them."""

import inspect
import io
import json
import os
from urllib.parse import urlencode

import pytest
from django.core.files.base import ContentFile
from django.forms import BaseForm
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.serializers import Serializer

import accounts.forms
import tickets.api.serializers
import tickets.forms
from accounts.api_tokens import api_token_create
from accounts.joining import join_request_create
from accounts.models import User
from tests.tickets.html_forms import PageForm, page_forms
from tickets.attachments import attachment_stage
from tickets.models import RequestField, RequestType, SavedQueue, Ticket
from tickets.selectors import AGENT_QUEUES
from tickets.services import ticket_comment, ticket_submit
from tickets.values import SubmittedValues
from tickets.work_items import work_item_create, work_item_link

NAMESPACES = ("portal", "agent", "accounts", "kb", "api")
SKIPPED = {"api:schema", "api:not_found"}  # generated documentation, no input; the catch-all 404
USERS = ("anonymous", "customer", "tier1", "tier2", "outsider")
HUGE = "x" * (1024 * 1024)
NASTY = [
    "", " ", "abc", "-1", "0", "1.5", "1e3", "99999999999999999999", "١٢", "²", "\x00", "a\x00b", "null", "[]",
    "{}", "true", "<script>alert(1)</script>", "../../etc/passwd", "%00", "%", "'; DROP TABLE x; --",
    "javascript:alert(1)", "//evil.example/", "https://evil.example/", "CSD-1", "zz-1", "a" * 300,
]  # fmt: skip


def _form_field_names() -> list[str]:
    names = {
        "tickets", "action", "work_item", "next", "status", "state", "notify", "language", "insert",
        "assign_to_me", "type", "q", "desk", "page", "after", "group", "into", "scope", "sort", "file",
        "attachments", "attachments__staged", "files", "merge-reference", "merge-version", "link-reference",
        "link-version", "username", "password", "new_password1", "new_password2", "post", "csrfmiddlewaretoken",
    }  # fmt: skip
    for module in (tickets.forms, accounts.forms, tickets.api.serializers):
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, BaseForm):
                names |= set(value.base_fields)
            elif inspect.isclass(value) and issubclass(value, Serializer):
                names |= set(getattr(value, "_declared_fields", {}))
    names |= set(RequestField.objects.values_list("key", flat=True))
    names |= {f"{key}__staged" for key in RequestField.objects.filter(kind="file").values_list("key", flat=True)}
    return sorted(names)


def _url_patterns() -> list[tuple[str, list[str]]]:
    """(namespace:name, its argument names) for every named URL of the doors under test."""
    resolver = get_resolver()
    found = []
    for namespace in NAMESPACES:
        _prefix, sub = resolver.namespace_dict[namespace]
        for pattern in sub.url_patterns:
            name = f"{namespace}:{pattern.name}"
            if pattern.name and name not in SKIPPED:
                found.append((name, list(pattern.pattern.converters)))
    return found


def _upload(name: str, content: bytes) -> io.BytesIO:
    upload = io.BytesIO(content)
    upload.name = name
    return upload


def odd_files():
    return st.sampled_from(
        [
            ("empty.txt", b""),
            ("no-extension", b"hello"),
            ("picture.png", b"not a png at all"),
            ("real.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
            ("page.html", b"<html><script>alert(1)</script>"),
            ("../../etc/passwd", b"root:x:0:0"),
            ("a" * 300 + ".txt", b"long name"),
            ("nul\x00name.txt", b"nul in the name"),
            ("binary.pdf", bytes(range(256)) * 4),
            (".txt", b"only an extension"),
        ]
    ).map(lambda pair: _upload(*pair))


class World:
    """Real requests, files and work items built through the services, and the URL arguments
    that reach them (or nothing)."""

    def __init__(self, *, customer, colleague, outsider, tier1, tier2):
        self.users = {"anonymous": None, "customer": customer, "tier1": tier1, "tier2": tier2, "outsider": outsider}
        mine = self._submit(customer, "CSD", "general-request")
        theirs = self._submit(outsider, "CCP", "portal-error", browser="chrome")
        claimed = attachment_stage(uploaded_by=customer, upload=ContentFile(b"some notes\n", name="notes.txt"))
        ticket_comment(ticket=mine, author=customer, body="With a file", uploads=[claimed])
        staged = attachment_stage(uploaded_by=outsider, upload=ContentFile(b"theirs\n", name="other.txt"))
        item = work_item_create(actor=tier2, title="Sync bug", kind="bug")
        work_item_link(ticket=mine, actor=tier2, work_item=item)
        SavedQueue.objects.create(name="Everything", slug="everything")
        token, _key = api_token_create(user=customer, name="Fuzzed")
        newcomer = User.objects.create_user(email="fuzz-newcomer@example.org", password=None, full_name="New")
        joining = join_request_create(user=newcomer, query=customer.memberships.get().organization.provider_id)
        ids = [str(i) for i in (mine.pk, theirs.pk, claimed.pk, staged.pk, item.pk, customer.pk, tier1.pk)]
        self.values = st.one_of(
            st.sampled_from(NASTY + ids + [customer.email, tier1.email, mine.reference, theirs.reference]),
            st.text(max_size=40),
            st.integers(min_value=-(2**70), max_value=2**70).map(str),
        )
        self.args = {
            "reference": [mine.reference, theirs.reference, "ZZZ-999999999", mine.reference.lower()],
            "slug": ["customer-service", "child-care-provider", "everything", "nope"],
            "type_key": ["general-request", "portal-error", "nope"],
            "queue": [*list(AGENT_QUEUES)[:2], "nope"],
            "key": ["unassigned", "saved-everything", "saved-nope", "nope"],
            "attachment_id": [claimed.pk, staged.pk, 999999999, 2**70],
            "work_item_id": [item.pk, 999999999, 2**70],
            "token": ["abc", "x" * 500, "MQ:1:abc"],
            "uidb64": ["MQ", "!!", "x" * 200],
            "desk_slug": ["customer-service", "nope"],
            "token_id": [token.pk, 999999999, 2**70],
            "join_request_id": [joining.pk, 999999999, 2**70],
            "email": [customer.email, tier1.email, "nobody@example.org", "x@", "ſam@kiss.example"],
        }
        self.type_id = RequestType.objects.get(desk__key="CSD", key="general-request").pk
        self.args["request_type_id"] = [self.type_id, 999999999, 2**70]
        self.patterns = _url_patterns()
        self.field_names = _form_field_names()
        self.clients: dict[str, Client] = {}
        self.failures: list[str] | None = None

    @staticmethod
    def _submit(user, desk, type_key, **fields) -> Ticket:
        return ticket_submit(
            request_type=RequestType.objects.get(desk__key=desk, key=type_key),
            requester=user,
            organization=user.memberships.get().organization,
            values=SubmittedValues(summary="Fuzzed request", description="d", fields=fields, files={}),
        )

    def url(self, name: str, arg_names: list[str], pick) -> str:
        missing = [a for a in arg_names if a not in self.args]
        assert not missing, f"{name}: tell the fuzz test what to pass as {missing}"
        return reverse(name, kwargs={a: pick(self.args[a]) for a in arg_names})

    def client(self, who: str, url: str) -> Client:
        """This user's signed-in client; signed in afresh after anything under /accounts/, which
        may have signed it out or in as someone else."""
        client = self.clients.get(who)
        if client is None or url.startswith("/accounts/") or getattr(client, "touched_accounts", False):
            client = self.clients[who] = Client(raise_request_exception=True)
            if self.users[who] is not None:
                client.force_login(self.users[who])
        client.touched_accounts = url.startswith("/accounts/")
        return client

    def crawl(self) -> list[tuple[str, PageForm]]:
        """Every form on every page, as the customer, Tier II and nobody see them: (who, form)."""
        pages = [reverse(name, kwargs={a: self.args[a][0] for a in args}) for name, args in self.patterns]
        pages.append(reverse("agent:ticket_create") + f"?type={self.type_id}")
        found, seen = [], set()
        for who in ("customer", "tier2", "anonymous"):
            for url in pages:
                if url.startswith("/api/") or url.endswith(".csv"):
                    continue
                response = self.client(who, url).get(url)
                if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                    continue
                for form in page_forms(response.content.decode(), page_url=url):
                    key = (who, form.action, form.method, tuple(sorted(form.fields)))
                    if key not in seen:
                        seen.add(key)
                        found.append((who, form))
        return found


MUTATIONS = ("abc", "drop", "twice", "a\x00b", HUGE)


def form_data(form: PageForm, *, pick, broken: str | None = None, how: str = "abc") -> dict[str, list[str]]:
    """What a browser sends for this form (`pick` chooses among each field's values), with the
    field `broken` (if any) given a wrong type, dropped, sent twice, a NUL or a megabyte."""
    data = {name: [pick(values)] for name, values in form.fields.items()}
    if broken is not None:
        if how == "drop":
            data.pop(broken)
        elif how == "twice":
            data[broken] = [*data[broken], "abc"]
        else:
            data[broken] = [how]
    return data


def submit_form(world: World, who: str, form: PageForm, data: dict, files: dict | None = None) -> None:
    if form.method == "get":
        send(world, who=who, url=form.action, method="get", data=data)
    elif form.multipart or files:
        send(world, who=who, url=form.action, method="multipart", data=data, files=files)
    else:
        send(world, who=who, url=form.action, method="form", data=data)


def send(world: World, *, who: str, url: str, method: str, data: dict, files: dict | None = None) -> None:
    """Send one request; a 5xx (or an exception a 5xx would carry) fails it, or is noted in
    world.failures when the test collects them to list them all at once."""
    try:
        _send(world, who=who, url=url, method=method, data=data, files=files)
    except Exception as error:
        if world.failures is None:
            raise
        fields = sorted(data)[:12]
        world.failures.append(f"{method.upper()} {url[:80]} as {who} {fields}: {type(error).__name__}: {error}"[:400])


def _send(world: World, *, who: str, url: str, method: str, data: dict, files: dict | None = None) -> None:
    client = world.client(who, url)
    if method == "get":
        flat = {k: [v for v in vs if isinstance(v, str)] for k, vs in data.items()}
        response = client.get(url, flat)
    elif method == "form":
        body = urlencode([(k, v) for k, vs in data.items() for v in vs if isinstance(v, str)])
        response = client.post(url, body, content_type="application/x-www-form-urlencoded")
    elif method == "json":
        body = {k: (vs[0] if len(vs) == 1 else vs) for k, vs in data.items()}
        response = client.post(url, json.dumps(body), content_type="application/json")
    else:
        response = client.post(url, {**data, **(files or {})})  # multipart
    assert response.status_code < 500, (method, url, who, response.status_code)


@pytest.fixture(autouse=True)
def _english_afterwards():
    """Requests here switch people to Spanish; the test client leaves the last request's
    language active in this thread, so put English back for the tests that follow."""
    yield
    translation.activate("en")


@pytest.fixture
def world(catalogue, customer, colleague, outsider, tier1, tier2):
    return World(customer=customer, colleague=colleague, outsider=outsider, tier1=tier1, tier2=tier2)


@pytest.mark.django_db
def test_every_door_answers_fixed_nasty_payloads_without_a_5xx(world):
    """Every URL, with arguments that reach a real request (and once with ones that reach
    nothing), as every user: garbage ids in every field, every field twice with a NUL, JSON."""
    names = {name for name, _args in world.patterns}
    for expected in ("portal:request_create", "agent:bulk", "agent:ticket_create", "accounts:signup", "kb:suggest"):
        assert expected in names
    assert len(names) >= 50
    world.failures = []
    garbage_ids = {name: ["abc"] for name in world.field_names}
    repeated_nul = {name: ["1", "a\x00b"] for name in world.field_names}
    junk_query = {"type": ["abc"], "page": ["-1"], "after": ["!"], "q": ["\x00"], "desk": ["nope"]}
    for name, arg_names in world.patterns:
        url = world.url(name, arg_names, lambda values: values[0])
        for index, who in enumerate(USERS):
            send(world, who=who, url=url, method="get", data=junk_query)
            send(world, who=who, url=url, method="form", data=garbage_ids if index % 2 else repeated_nul)
            if name.startswith("api:"):
                send(world, who=who, url=url, method="json", data=garbage_ids)
        if arg_names:
            nowhere = world.url(name, arg_names, lambda values: values[-1])
            send(world, who="tier2", url=nowhere, method="form", data=garbage_ids)
    assert not world.failures, "\n".join(world.failures)


@pytest.mark.django_db
def test_every_door_survives_huge_values_and_odd_files(world):
    world.failures = []
    huge = {name: [HUGE] for name in world.field_names[::15]} | {"body": [HUGE], "summary": [HUGE]}
    odd = {"file": ("nul\x00.txt", b"\x00"), "attachments": ("", b"no name"), "files": ("a" * 300, b"x")}
    for index, (name, arg_names) in enumerate(world.patterns):
        url = world.url(name, arg_names, lambda values: values[0])
        who = ("customer", "tier2")[index % 2]
        send(world, who=who, url=url, method="form", data=huge)
        files = {key: _upload(*pair) for key, pair in odd.items()}
        send(world, who=who, url=url, method="multipart", data={"body": ["x"], "version": ["abc"]}, files=files)
    assert not world.failures, "\n".join(world.failures)


@pytest.mark.django_db
def test_every_form_with_one_field_broken_answers_without_a_5xx(world):
    """Each form on each page, filled as a browser would (first choices, then last choices),
    with one field at a time broken: a wrong type, missing, sent twice, a NUL, a megabyte."""
    forms = world.crawl()
    world.failures = []
    assert len(forms) >= 30, [f.action for _who, f in forms]
    actions = {form.action.split("?")[0] for _who, form in forms}
    for expected in ("/agent/bulk/", "/accounts/login/", "/agent/new/"):
        assert expected in actions, sorted(actions)
    first, last = (lambda values: values[0]), (lambda values: values[-1])
    for who, form in forms:
        names = [n for n in form.fields if n != "csrfmiddlewaretoken"]
        has_choices = any(len(values) > 1 for values in form.fields.values())
        for index, name in enumerate(names):
            submit_form(world, who, form, form_data(form, pick=first, broken=name, how=MUTATIONS[index % 5]))
            if has_choices:  # the other end of every choice: another branch of the view
                submit_form(world, who, form, form_data(form, pick=last, broken=name, how="abc"))
    assert not world.failures, "\n".join(world.failures)


def broken_form(world: World, forms: list[tuple[str, PageForm]], data) -> tuple[str, PageForm, dict, dict]:
    """A crawled form, filled with values it offers, then with any of its fields broken, extra
    fields added and odd files attached; sent as the user who saw it or anyone else."""
    seen_by, form = data.draw(st.sampled_from(forms), label="form")
    who = data.draw(st.sampled_from([seen_by, seen_by, *USERS]), label="user")
    fields = {}
    for name, values in form.fields.items():
        how = data.draw(st.sampled_from(["keep", "keep", "drop", "garbage", "twice"]), label=name)
        if how == "drop":
            continue
        value = data.draw(st.sampled_from(values))
        if how == "garbage":
            value = data.draw(world.values)
        fields[name] = [value, data.draw(world.values)] if how == "twice" else [value]
    extra = st.dictionaries(st.sampled_from(world.field_names), st.lists(world.values, min_size=1, max_size=2))
    fields |= data.draw(extra, label="extra")
    files = {}
    if form.files or form.multipart:
        names = sorted(form.files) or ["file"]
        files = data.draw(st.dictionaries(st.sampled_from(names), odd_files(), max_size=2), label="files")
    return who, form, fields, files


@pytest.mark.django_db
def test_mixed_garbage_never_answers_5xx(world):
    """Hypothesis mixes it all: broken versions of real forms, and any URL with any fields."""
    forms = world.crawl()
    examples = int(os.environ.get("FUZZ_EXAMPLES", "150"))

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize="FUZZ_EXAMPLES" not in os.environ,  # digging deeper locally explores afresh
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(data=st.data())
    def one_request(data):
        if data.draw(st.booleans(), label="from a real form"):
            who, form, fields, files = broken_form(world, forms, data)
            submit_form(world, who, form, fields, files)
            return
        name, arg_names = data.draw(st.sampled_from(world.patterns), label="url")
        url = world.url(name, arg_names, lambda values: data.draw(st.sampled_from(values)))
        who = data.draw(st.sampled_from(USERS), label="user")
        method = data.draw(st.sampled_from(["get", "form", "multipart", "json"]), label="method")
        values = st.lists(world.values, min_size=1, max_size=2)  # one value, or the field twice
        fields = data.draw(st.dictionaries(st.sampled_from(world.field_names), values, max_size=8), label="fields")
        files = {}
        if method == "multipart":
            files = data.draw(
                st.dictionaries(st.sampled_from(["file", "attachments", "files"]), odd_files(), max_size=2),
                label="files",
            )
        send(world, who=who, url=url, method=method, data=fields, files=files)

    one_request()
