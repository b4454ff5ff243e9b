"""Who may open the editor: staff holding the permission of the area (superusers hold all)."""

import functools
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.http import Http404

# The editor's two areas and the Django permission each asks for.
CATALOGUE_PERMISSION = "tickets.change_requesttype"
PEOPLE_PERMISSION = "accounts.change_user"


def may_configure(user, permission: str) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff and user.has_perm(permission))


def configuration_required(permission: str) -> Callable:
    """A door of the editor: 404 for anyone without the area's permission (nothing to see here)."""

    def decorator(view):
        @login_required
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not may_configure(request.user, permission):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


catalogue_required = configuration_required(CATALOGUE_PERMISSION)
people_required = configuration_required(PEOPLE_PERMISSION)
