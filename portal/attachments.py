"""Uploading ahead of a form, and downloading through the visibility rule (never a media URL)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tickets.attachments import attachment_file_response, attachment_stage
from tickets.models import Attachment
from tickets.selectors import attachment_get_visible


@login_required
@require_POST
def attachment_upload(request):
    upload = request.FILES.get("file")
    if upload is None:
        return JsonResponse({"error": _("Choose a file to upload.")}, status=400)
    try:
        attachment = attachment_stage(uploaded_by=request.user, upload=upload)
    except ValidationError as error:
        return JsonResponse({"error": " ".join(error.messages)}, status=400)
    return JsonResponse(
        {
            "id": attachment.pk,
            "name": attachment.original_name,
            "size": attachment.size,
            "content_type": attachment.content_type,
            "url": reverse("portal:attachment_download", args=[attachment.pk]),
        },
        status=201,
    )


@login_required
@require_GET
def attachment_download(request, attachment_id):
    try:
        attachment = attachment_get_visible(user=request.user, attachment_id=attachment_id)
    except Attachment.DoesNotExist:
        raise Http404 from None
    return attachment_file_response(attachment)
