"""The customer's form as the portal will show it, in either language, rendered by the portal's
own form class (tickets.forms.RequestForm) and template. Unsaved edits are previewed by applying
them inside a transaction that is always rolled back."""

from collections.abc import Callable

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from accounts.models import User
from tickets.forms import RequestForm
from tickets.models import RequestType

LANGUAGES = ("en", "es")


class _RollBack(Exception):
    pass


def preview_language(raw: str | None) -> str:
    return raw if raw in LANGUAGES else "en"


def preview_render(
    *, request_type_id: int, language: str | None, user: User, apply: Callable[[RequestType], None] | None = None
) -> str:
    """The preview's HTML. `apply` makes the unsaved edits on the freshly read type (and may save
    rows): whatever it writes is undone before this returns."""
    html = ""
    try:
        with transaction.atomic():
            if apply is not None:
                apply(RequestType.objects.select_related("desk", "group").get(pk=request_type_id))
            request_type = RequestType.objects.select_related("desk", "group").get(pk=request_type_id)
            with translation.override(preview_language(language)):
                # The portal's form, with ids of its own so they never clash with the editor's.
                form = RequestForm(request_type=request_type, user=user, auto_id="preview-%s")
                html = render_to_string(
                    "configuration/_preview.html",
                    {"request_type": request_type, "desk": request_type.desk, "form": form,
                     "preview_language": preview_language(language)},
                )  # fmt: skip
            raise _RollBack
    except _RollBack:
        pass
    return html
