"""The access rule of every agent page: signed in and an agent of some desk; else a 404."""

import functools

from django.contrib.auth.decorators import login_required
from django.http import Http404

from .visibility import user_is_agent


def agent_required(view):
    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not user_is_agent(user=request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
