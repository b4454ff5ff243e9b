"""Uploads stop being kept at the size limit (helpdesk/uploads.py), and attachment_stage checks
every file itself, so no door can store one that is too large or of a refused type."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test import RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse
from django.utils import translation

from helpdesk.uploads import SizeLimitUploadHandler, TooLargeUpload
from tickets.attachments import attachment_stage
from tickets.models import Attachment, RequestType, Ticket
from tickets.services import ticket_submit
from tickets.values import SubmittedValues

LIMIT = 100 * 1024


def stored_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT) / "attachments"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
def small_limit(settings):
    """A small limit; yields a function telling the files stored since the test began."""
    settings.ATTACHMENT_MAX_BYTES = LIMIT
    before = stored_files()
    yield lambda: stored_files() - before


def big_file(size: int, name: str = "big.txt") -> io.BytesIO:
    upload = io.BytesIO(b"x" * size)
    upload.name = name
    return upload


class Kept:
    """Stands where one of Django's handlers stands, and remembers how much of each file it was
    given to keep and the file object it kept it in."""

    def new_file(self, *args, **kwargs):
        try:
            super().new_file(*args, **kwargs)  # the memory handler raises StopFutureHandlers here
        finally:
            self.kept = {**getattr(self, "kept", {}), self.file_name: 0}
            self.files = {**getattr(self, "files", {}), self.file_name: getattr(self, "file", None)}

    def receive_data_chunk(self, raw_data, start):
        self.kept[self.file_name] += len(raw_data)
        return super().receive_data_chunk(raw_data, start)


class KeptInMemory(Kept, MemoryFileUploadHandler):
    pass


class KeptOnDisk(Kept, TemporaryFileUploadHandler):
    pass


@pytest.mark.parametrize("size", [3 * LIMIT, 40 * LIMIT])  # in memory, then on disk (over 2.5 MB)
def test_it_stops_keeping_a_file_at_the_limit_and_completes_a_too_large_placeholder(small_limit, size):
    body = encode_multipart(BOUNDARY, {"note": "hello", "file": big_file(size), "other": big_file(10, "ok.txt")})
    request = RequestFactory().generic("POST", "/", body, content_type=MULTIPART_CONTENT)
    limiter, memory, disk = SizeLimitUploadHandler(request), KeptInMemory(request), KeptOnDisk(request)
    request.upload_handlers = [limiter, memory, disk]
    meta = {**request.META, "CONTENT_LENGTH": str(len(body))}
    post, files = MultiPartParser(meta, io.BytesIO(body), request.upload_handlers, "utf-8").parse()

    too_large = files["file"]
    assert isinstance(too_large, TooLargeUpload) and too_large.too_large
    assert (too_large.name, too_large.size, too_large.read()) == ("big.txt", size, b"")
    assert files["other"].read() == b"x" * 10  # the next file is kept whole
    assert post["note"] == "hello"  # and the rest of the form is still read
    keeper = memory if memory.activated else disk
    assert keeper is (memory if size < settings.FILE_UPLOAD_MAX_MEMORY_SIZE else disk)
    assert 0 < keeper.kept["big.txt"] <= LIMIT
    assert keeper.files["big.txt"].closed  # what it kept before the limit is dropped at once


@pytest.mark.django_db
def test_attachment_stage_checks_the_file_itself(customer, small_limit):
    for upload in (ContentFile(b"<html><script>", name="page.html"), ContentFile(b"x" * (LIMIT + 1), name="a.txt")):
        with pytest.raises(ValidationError):
            attachment_stage(uploaded_by=customer, upload=upload)
    placeholder = TooLargeUpload(name="huge.pdf", content_type="application/pdf", size=10)
    with translation.override("en"), pytest.raises(ValidationError, match="files may be at most"):
        attachment_stage(uploaded_by=customer, upload=placeholder)
    assert not Attachment.objects.exists() and not small_limit()
    good = attachment_stage(uploaded_by=customer, upload=ContentFile(b"a,b\n1,2\n", name="rows.csv"))
    assert (good.content_type, good.size) == ("text/csv", 8)


def _ticket(customer) -> Ticket:
    return ticket_submit(
        request_type=RequestType.objects.get(desk__key="CSD", key="general-request"),
        requester=customer,
        organization=customer.memberships.get().organization,
        values=SubmittedValues(summary="Upload", description="d", fields={}, files={}),
    )


def _expect_refused(response, new_files, *, json_key=None):
    assert response.status_code == 400, response.status_code
    text = str(response.json()) if json_key else response.content.decode()
    assert "big.txt" in text and "files may be at most 100.0" in text, text[:3000]
    assert not Attachment.objects.exists()
    assert not new_files()


@pytest.mark.django_db
@pytest.mark.parametrize("size", [3 * LIMIT, 30 * LIMIT])  # in memory, and spooled to a temporary file
def test_the_portal_request_form_refuses_a_file_over_the_limit(client, customer, catalogue, small_limit, size):
    client.force_login(customer)
    url = reverse("portal:request_create", args=["child-care-provider", "additional-roles"])
    response = client.post(
        url,
        {"summary": "Roles", "description": "Needs reports", "user_email": "a@example.org",
         "roles_needed": "Reports", "attachments": big_file(size)},
    )  # fmt: skip
    _expect_refused(response, small_limit)
    assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_the_comment_forms_refuse_a_file_over_the_limit(client, customer, tier1, catalogue, small_limit):
    ticket = _ticket(customer)
    client.force_login(customer)
    url = reverse("portal:request_comment", args=[ticket.reference])
    _expect_refused(client.post(url, {"body": "See file", "attachments": big_file(3 * LIMIT)}), small_limit)
    client.force_login(tier1)
    url = reverse("agent:ticket_reply", args=[ticket.reference])
    _expect_refused(client.post(url, {"body": "See file", "attachments": big_file(3 * LIMIT)}), small_limit)
    assert ticket.activities.count() == 1


@pytest.mark.django_db
def test_the_upload_endpoints_refuse_a_file_over_the_limit(client, customer, small_limit):
    client.force_login(customer)
    _expect_refused(
        client.post(reverse("portal:attachment_upload"), {"file": big_file(3 * LIMIT)}), small_limit, json_key="error"
    )
    _expect_refused(
        client.post(reverse("api:attachment_upload"), {"file": big_file(3 * LIMIT)}), small_limit, json_key="file"
    )


@pytest.mark.django_db
def test_a_file_under_the_limit_arrives_whole(client, customer, small_limit):
    client.force_login(customer)
    content = b"line\n" * (LIMIT // 5 - 1)
    upload = io.BytesIO(content)
    upload.name = "notes.txt"
    response = client.post(reverse("portal:attachment_upload"), {"file": upload})
    assert response.status_code == 201
    attachment = Attachment.objects.get()
    assert attachment.size == len(content) and attachment.file.read() == content
