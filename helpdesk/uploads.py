"""Uploads stop being kept at the attachment size limit, instead of being read whole first."""

from io import BytesIO
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class TooLargeUpload(UploadedFile[bytes]):
    """Stands in for a file past the size limit: its name and the size it came with, none of its
    bytes. The upload checks (tickets/attachments.py validate_upload) answer "file too large"."""

    too_large = True

    def __init__(
        self,
        *,
        name: str,
        content_type: str,
        size: int,
        charset: str | None = None,
        content_type_extra: dict[str, bytes] | None = None,
    ) -> None:
        super().__init__(BytesIO(b""), name, content_type, size, charset, content_type_extra)


class SizeLimitUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: counts each file's bytes and, past ATTACHMENT_MAX_BYTES
    (read per request), passes no more of that file to the handlers that keep data (memory,
    temporary file), drops what they kept, and completes the file as a TooLargeUpload. The rest of
    the request is still parsed, so the form can say which file was too large."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.limit = settings.ATTACHMENT_MAX_BYTES
        self.received = 0
        self.too_large = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large = True
        return None if self.too_large else raw_data

    def file_complete(self, file_size: int) -> UploadedFile[bytes] | None:
        if not self.too_large:
            return None  # the next handler builds the file
        self._drop_partial_files()
        return TooLargeUpload(
            name=self.file_name or "",
            content_type=self.content_type or "",
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )

    def _drop_partial_files(self) -> None:
        """Close (and so delete) what the later handlers kept of this file before the limit."""
        handlers = list(getattr(self.request, "upload_handlers", None) or [])
        later = handlers[handlers.index(self) + 1 :] if self in handlers else []
        for handler in later:
            partial = getattr(handler, "file", None)
            if partial is not None:
                partial.close()
