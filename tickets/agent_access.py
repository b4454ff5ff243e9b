"""The access rule of every agent page: signed in and an agent of some desk; else a 404."""

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from .visibility import user_is_agent

View = Callable[..., HttpResponse]


def agent_required(view: View) -> View:
    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not user_is_agent(user=request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
