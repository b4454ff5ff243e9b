"""The admin site, with one rule added to every model admin registered on it.

Django's admin accepts a filter on any field of a model in the address of its list
(?value__startswith=S), even fields it never shows: character by character, that reads a
sensitive value, a mailbox password or a password hash. Here a list may be filtered only by what
its admin offers (list_filter, date_hierarchy); anything else is refused (400).
"""

from typing import TYPE_CHECKING

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db.models.constants import LOOKUP_SEP

if TYPE_CHECKING:
    _AdminBase = admin.ModelAdmin
else:
    _AdminBase = object


class OfferedLookupsOnly(_AdminBase):
    def lookup_allowed(self, lookup, value, request=None):
        if not super().lookup_allowed(lookup, value, request):
            return False
        return lookup.split(LOOKUP_SEP, 1)[0] in self._offered_filters(request)

    def _offered_filters(self, request) -> set[str]:
        names = set()
        for item in self.get_list_filter(request):
            name: object = item[0] if isinstance(item, (list, tuple)) else item
            if isinstance(name, type) and issubclass(name, admin.SimpleListFilter):
                name = name.parameter_name
            if isinstance(name, str):
                names.add(name.split(LOOKUP_SEP, 1)[0])
        if self.date_hierarchy:
            names.add(self.date_hierarchy.split(LOOKUP_SEP, 1)[0])
        return names


class HelpdeskAdminSite(admin.AdminSite):
    def password_change(self, request, extra_context=None):
        """Django's page, with the old password checked through the sign-in limit."""
        from django.contrib.auth.views import PasswordChangeView
        from django.urls import reverse

        from accounts.forms import SignInCheckedPasswordChangeForm
        from accounts.views import signin_door

        class View(PasswordChangeView):
            def get_form_kwargs(self):
                return {**super().get_form_kwargs(), "request": self.request}

        request.current_app = self.name
        view = View.as_view(
            form_class=SignInCheckedPasswordChangeForm,
            success_url=reverse("admin:password_change_done", current_app=self.name),
            extra_context={**self.each_context(request), **(extra_context or {})},
        )
        return signin_door(view)(request)

    def register(self, model_or_iterable, admin_class=None, **options):
        base = admin_class or admin.ModelAdmin
        strict = type(base.__name__, (OfferedLookupsOnly, base), {"__module__": base.__module__})
        super().register(model_or_iterable, strict, **options)


class HelpdeskAdminConfig(AdminConfig):
    default_site = "helpdesk.admin_site.HelpdeskAdminSite"
