"""After a refresh: the dashboard's default view computed once for every set of desks an agent
sees, in every language, so the first agent to open it after the refresh reads the cache.

The cache (reports/cached.py) is keyed by the visibility, not the person: agents of the same
desks share one entry, and one of them stands for all. Live sections are never cached, so never
warmed. A filtered view is computed on first use as before."""

from django.conf import settings
from django.db.models import Q
from django.http import QueryDict
from django.utils import translation

from accounts.models import User
from tickets.visibility import agent_visibility_q

from .filters import ReportFilterForm
from .rollups import summary_version
from .sections import LIVE, SECTIONS, section_tables


def _agents_by_visibility() -> list[User]:
    """One active agent (a team member, or a superuser) for each distinct set of desks."""
    agents = Q(is_superuser=True) | Q(teams__isnull=False)
    people = User.objects.filter(agents, is_active=True).distinct().order_by("pk")
    chosen: dict[str, User] = {}
    for person in people:
        chosen.setdefault(str(agent_visibility_q(user=person)), person)
    return list(chosen.values())


def reports_warm() -> int:
    """Compute and cache the default view's sections; returns how many views were warmed."""
    version = summary_version()
    warmed = 0
    for person in _agents_by_visibility():
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                form = ReportFilterForm(QueryDict(""), user=person)
                if not form.is_valid():
                    continue
                scope = form.scope()
                for _key, _heading, function in SECTIONS:
                    if function not in LIVE:
                        section_tables(function, scope, version)
                warmed += 1
    return warmed
