"""The admin site, with one rule added to every model admin registered on it.

Django's admin accepts a filter on any field of a model in the address of its list
(?value__startswith=S), even fields it never shows: character by character, that reads a
sensitive value, a mailbox password or a password hash. Here a list may be filtered only by what
its admin offers (list_filter, date_hierarchy); anything else is refused (400).
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db.models import Model
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    _AdminBase = admin.ModelAdmin[Any]
else:
    _AdminBase = object


class OfferedLookupsOnly(_AdminBase):
    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # Django's own request=None default, which the stubs leave out.
        if not super().lookup_allowed(lookup, value, request):  # type: ignore[arg-type]
            return False
        return lookup.split(LOOKUP_SEP, 1)[0] in self._offered_filters(request)

    def _offered_filters(self, request: HttpRequest | None) -> set[str]:
        names = set()
        for item in self.get_list_filter(request):  # type: ignore[arg-type]  # None as Django passes it on
            name: object = item[0] if isinstance(item, (list, tuple)) else item
            if isinstance(name, type) and issubclass(name, admin.SimpleListFilter):
                name = name.parameter_name
            if isinstance(name, str):
                names.add(name.split(LOOKUP_SEP, 1)[0])
        if self.date_hierarchy:
            names.add(self.date_hierarchy.split(LOOKUP_SEP, 1)[0])
        return names


class HelpdeskAdminSite(admin.AdminSite):
    # An HttpResponse, not the stubs' TemplateResponse: signin_door answers a plain 429 page when limited.
    def password_change(  # type: ignore[override]
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Django's page, with the old password checked through the sign-in limit."""
        from django.contrib.auth.views import PasswordChangeView
        from django.urls import reverse

        from accounts.forms import SignInCheckedPasswordChangeForm
        from accounts.views import signin_door

        class View(PasswordChangeView):
            def get_form_kwargs(self) -> dict[str, Any]:
                return {**super().get_form_kwargs(), "request": self.request}

        request.current_app = self.name
        view = View.as_view(
            form_class=SignInCheckedPasswordChangeForm,
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )
        response: HttpResponse = signin_door(view)(request)
        return response

    def register(
        self,
        model_or_iterable: type[Model] | Iterable[type[Model]],
        admin_class: type[admin.ModelAdmin[Any]] | None = None,
        **options: Any,
    ) -> None:
        base = admin_class or admin.ModelAdmin
        strict = cast(
            type[admin.ModelAdmin[Any]],
            type(base.__name__, (OfferedLookupsOnly, base), {"__module__": base.__module__}),
        )
        super().register(model_or_iterable, strict, **options)


class HelpdeskAdminConfig(AdminConfig):
    default_site = "helpdesk.admin_site.HelpdeskAdminSite"
