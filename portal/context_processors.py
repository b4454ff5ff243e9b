from tickets.selectors import capped_count, ticket_list_for_customer, user_is_agent


def navigation(request):
    """The Requests button count and whether to show the agent link, on every page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_request_count": capped_count(ticket_list_for_customer(user=user)),
        "nav_is_agent": user_is_agent(user=user),
    }
