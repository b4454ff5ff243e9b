"""Who may open the editor: staff holding the permission of the area (superusers hold all)."""

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from tickets.visibility import Viewer

View = Callable[..., HttpResponse]

# The editor's two areas and the Django permission each asks for.
CATALOGUE_PERMISSION = "tickets.change_requesttype"
PEOPLE_PERMISSION = "accounts.change_user"


def may_configure(user: Viewer, permission: str) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff and user.has_perm(permission))


def configuration_required(permission: str) -> Callable[[View], View]:
    """A door of the editor: 404 for anyone without the area's permission (nothing to see here)."""

    def decorator(view: View) -> View:
        @login_required
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not may_configure(request.user, permission):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


catalogue_required = configuration_required(CATALOGUE_PERMISSION)
people_required = configuration_required(PEOPLE_PERMISSION)
