from tickets.counts import customer_list_counts
from tickets.selectors import user_is_agent


def navigation(request):
    """The Requests button count and whether to show the agent link, on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_request_count": customer_list_counts(user=user, scopes=["created"])["created"],
        "nav_is_agent": user_is_agent(user=user),
    }
