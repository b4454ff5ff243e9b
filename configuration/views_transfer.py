"""The catalogue as a file from the editor: download it, and upload one (dry run first)."""

from typing import Any, cast

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.models import User
from tickets.catalogue import (
    CatalogueFileError,
    CatalogueInvalid,
    catalogue_dump,
    catalogue_export,
    catalogue_import,
    catalogue_parse,
)

from .access import catalogue_required
from .forms import ImportForm

# Below Django's DATA_UPLOAD_MAX_MEMORY_SIZE, which the dry run's confirmation posts it back through.
MAX_FILE_BYTES = 2 * 1024 * 1024


@catalogue_required
def catalogue_download(request: HttpRequest, fmt: str) -> HttpResponse:
    fmt = "json" if fmt == "json" else "yaml"
    response = HttpResponse(
        catalogue_dump(catalogue_export(), fmt=fmt), content_type=f"application/{fmt}; charset=utf-8"
    )
    name = f"catalogue-{timezone.localdate():%Y-%m-%d}.{'json' if fmt == 'json' else 'yaml'}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _uploaded_text(form: ImportForm) -> str | None:
    upload = form.cleaned_data["file"]
    if upload.size > MAX_FILE_BYTES:
        form.add_error("file", _("The file is larger than 2 MB."))
        return None
    try:
        text: str = upload.read().decode("utf-8")
        return text
    except UnicodeDecodeError:
        form.add_error("file", _("The file is not UTF-8 text."))
        return None


@catalogue_required
@require_http_methods(["GET", "POST"])
def catalogue_file(request: HttpRequest) -> HttpResponse:
    """Upload: checked first, then a dry run lists the changes with a button to apply exactly that
    file; problems are listed with their line and place, and nothing changes."""
    confirming = "content" in request.POST  # the dry run's "Import" button, with the file it checked
    form = ImportForm(request.POST or None, request.FILES or None) if not confirming else ImportForm()
    context: dict[str, Any] = {"form": form}
    if request.method == "GET":
        return render(request, "configuration/catalogue_file.html", context)
    text = request.POST.get("content") if confirming else None
    dry_run = text is None and bool(request.POST.get("dry_run"))
    if text is None:
        if not form.is_valid() or (text := _uploaded_text(form)) is None:
            return render(request, "configuration/catalogue_file.html", context, status=400)
    try:
        data, lines = catalogue_parse(text)
        report = catalogue_import(data=data, lines=lines, dry_run=dry_run, actor=cast(User, request.user))
    except CatalogueFileError as error:
        context["problems"] = [_("line %(line)s: %(error)s") % {"line": error.line or "?", "error": error}]
        return render(request, "configuration/catalogue_file.html", context, status=400)
    except CatalogueInvalid as invalid:
        context["problems"] = [str(problem) for problem in invalid.problems]
        return render(request, "configuration/catalogue_file.html", context, status=400)
    if dry_run:
        context.update({"report": report, "content": text})
        return render(request, "configuration/catalogue_file.html", context)
    messages.success(request, _("The catalogue is imported: %(count)d changes.") % {"count": len(report.changes)})
    return redirect("configuration:catalogue_file")
