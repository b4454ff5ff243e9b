from django.conf import settings
from django.http import HttpResponseBadRequest


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header (Django 5.2 has none built in)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class RejectNullCharactersMiddleware:
    """A NUL character in the query string, a header or a cookie is never meaningful and
    PostgreSQL refuses it in any query (a token or session id looked up with one was a 500):
    answer 400 here once, instead of from whichever part reads it. (Form and API fields reject
    it already, field by field.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values
        ):
            return HttpResponseBadRequest("The address contains a null character.", content_type="text/plain")
        if any("\x00" in str(value) for key, value in request.META.items() if key.startswith("HTTP_")):
            return HttpResponseBadRequest("A header contains a null character.", content_type="text/plain")
        return self.get_response(request)
