"""Upload checks: a size limit and an allow-list of types decided by the content, not the name."""

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .models import Attachment

# (magic prefix, offset, content type)
_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
    (b"PK\x03\x04", 0, "application/zip"),
]
_EXPECTED_BY_EXTENSION = {
    ".png": {"image/png"},
    ".jpg": {"image/jpeg"},
    ".jpeg": {"image/jpeg"},
    ".gif": {"image/gif"},
    ".webp": {"image/webp"},
    ".pdf": {"application/pdf"},
    ".docx": {"application/zip"},
    ".xlsx": {"application/zip"},
    ".pptx": {"application/zip"},
    ".zip": {"application/zip"},
    ".txt": {"text/plain"},
    ".csv": {"text/plain"},
    ".log": {"text/plain"},
}
_OFFICE = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def sniff_content_type(head: bytes) -> str | None:
    """The type the bytes say they are, or None when not on the allow-list."""
    for magic, offset, content_type in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The head may end inside a multi-byte character.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return None
    if "\x00" in text:
        return None
    # Markup (HTML, SVG, XML) can carry script when opened in a browser: never allowed.
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        return None
    return "text/plain"


def validate_upload(upload) -> str:
    """Check one uploaded file; returns the content type to store, or raises ValidationError.
    A file the upload handler stopped keeping at the limit (helpdesk/uploads.py) is too large."""
    if getattr(upload, "too_large", False) or upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("“%(name)s” is %(size)s; files may be at most %(limit)s.")
            % {
                "name": upload.name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES),
            },
            code="too_large",
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    detected = sniff_content_type(head)
    extension = PurePath(upload.name).suffix.lower()
    expected = _EXPECTED_BY_EXTENSION.get(extension)
    if detected is None or expected is None or detected not in expected:
        raise ValidationError(
            _(
                "“%(name)s” is not a file type we accept, or its content does not match its name. "
                "Images (PNG, JPEG, GIF, WebP), PDF, Office documents and plain text are accepted."
            )
            % {"name": upload.name},
            code="bad_type",
        )
    return _OFFICE.get(extension, "text/csv" if extension == ".csv" else detected)


def attachment_stage(*, uploaded_by, upload) -> Attachment:
    """Check an upload and store it, owned by its uploader and not yet part of any request.
    Raises ValidationError (nothing stored) for a file the checks refuse: no caller can skip them."""
    content_type = validate_upload(upload)
    staged = Attachment.objects.filter(uploaded_by=uploaded_by, ticket__isnull=True)
    if staged.count() >= settings.ATTACHMENT_STAGED_MAX_FILES:
        # Files uploaded ahead of a form are kept until the sweep: one person cannot fill the store.
        raise ValidationError(
            _("You have %(count)d files waiting to be sent with a form; send or remove some first.")
            % {"count": settings.ATTACHMENT_STAGED_MAX_FILES},
            code="too_many_staged",
        )
    return Attachment.objects.create(
        uploaded_by=uploaded_by,
        file=upload,
        original_name=upload.name[:255],
        content_type=content_type,
        size=upload.size,
    )


def attachment_sweep_unclaimed(*, older_than) -> int:
    """Delete files uploaded ahead of a form that was never sent; returns how many."""
    stale = Attachment.objects.filter(ticket__isnull=True, created_at__lt=older_than)
    count = 0
    for attachment in stale.iterator():
        attachment.file.delete(save=False)
        attachment.delete()
        count += 1
    return count


INLINE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}


def attachment_file_response(attachment: Attachment) -> FileResponse:
    """The download of a file someone may see (tickets.visibility.attachment_get_visible decides
    who): images inline, anything else as a download, and nothing in it can run in our origin."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=attachment.content_type not in INLINE_TYPES,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    # Even a file that slipped past the checks can run nothing in our origin.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
