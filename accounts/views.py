import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from .api_tokens import ApiTokenLimitReached, api_token_create, api_token_revoke, api_tokens_of
from .background import task_after_response
from .forms import ApiTokenCreateForm, EmailForm, LoginForm, SignupForm
from .ratelimit import client_bucket, posted_email, ratelimit, too_many_attempts
from .services import SignupLinkError, signup_token_read, user_password_was_set, user_register
from .tasks import send_password_reset, send_signup_link
from .tokens import account_claim_token_generator

BAD_LINK_STATUS = {"invalid": 400, "expired": 410, "used": 410}


def signin_door(view):
    """A view that signs people in (portal login, admin login): when the sign-in limit refused
    the attempt (accounts.backends), answer 429 with a readable page, not "wrong password"."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        wait = getattr(request, "signin_limited", 0)
        if wait:
            return too_many_attempts(request, retry_after=wait)
        return response

    return wrapper


class InvalidFormIs400:
    """Bad input is a client error: re-show the form with its messages and a 400."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


@require_http_methods(["GET", "POST"])
@ratelimit(scope="signup", rate_setting="RATELIMIT_SIGNUP", keys=(client_bucket, posted_email))
def signup(request):
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Who has an account is looked up after the answer (accounts.background): the page and
        # its timing are the same for every address.
        task_after_response(send_signup_link, email=form.cleaned_data["email"], language=get_language() or "en")
        request.session["signup_email"] = form.cleaned_data["email"]
        return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.is_bound else 200)


def signup_sent(request):
    # Reads the same whether or not the address has an account.
    return render(request, "accounts/signup_sent.html", {"email": request.session.get("signup_email", "")})


@require_http_methods(["GET", "POST"])
def signup_confirm(request, token):
    try:
        email = signup_token_read(token=token)
    except SignupLinkError as error:
        return _bad_link(request, error)
    form = SignupForm(request.POST or None, email=email)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_register(
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                language=get_language() or "en",
            )
        except SignupLinkError as error:
            return _bad_link(request, error)
        login(request, user, backend="accounts.backends.RateLimitedModelBackend")
        messages.success(request, _("Welcome! Your account is ready."))
        return redirect("portal:home")
    return render(
        request, "accounts/signup_confirm.html", {"form": form, "email": email}, status=400 if form.is_bound else 200
    )


def _bad_link(request, error):
    return render(
        request,
        "accounts/signup_link_invalid.html",
        {"reason": error.reason},
        status=BAD_LINK_STATUS[error.reason],
    )


@method_decorator(signin_door, name="dispatch")
class LoginView(InvalidFormIs400, auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@method_decorator(
    ratelimit(scope="password_reset", rate_setting="RATELIMIT_PASSWORD_RESET", keys=(client_bucket, posted_email)),
    name="dispatch",
)
class PasswordResetView(InvalidFormIs400, auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = EmailForm  # type: ignore[assignment]
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        # Only queued: the lookup, the token and the mail happen after the answer, so a known
        # address takes no longer than an unknown one (accounts.background).
        task_after_response(send_password_reset, email=form.cleaned_data["email"])
        return redirect(self.success_url)


class PasswordResetConfirmView(InvalidFormIs400, auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        user_password_was_set(user=form.user)
        return response


class AccountClaimView(PasswordResetConfirmView):
    """ "Set your password" for a contact, from a longer-lived link (accounts.tokens)."""

    template_name = "accounts/account_claim.html"
    token_generator = account_claim_token_generator


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def token_create(request):
    """Make an API token; its key is shown on this answer only."""
    form = ApiTokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # A token acts as its owner, so the password is asked again, through the sign-in limit.
        confirmed = authenticate(request, username=request.user.email, password=form.cleaned_data["password"])
        if getattr(request, "signin_limited", 0):
            return too_many_attempts(request, retry_after=request.signin_limited)
        if confirmed is None or confirmed.pk != request.user.pk:
            form.add_error("password", _("This is not your password."))
        else:
            try:
                token, key = api_token_create(user=request.user, name=form.cleaned_data["name"])
            except ApiTokenLimitReached:
                form.add_error(None, _("You have too many tokens: revoke one you no longer use first."))
            else:
                # never_cache marks the answer no-store: the key must not stay in any cache.
                return render(request, "accounts/token_created.html", {"token": token, "key": key}, status=201)
    return render(
        request,
        "accounts/token_create.html",
        {"form": form, "days": settings.API_TOKEN_DAYS},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def token_revoke(request, token_id: int):
    token = get_object_or_404(api_tokens_of(user=request.user), pk=token_id)
    api_token_revoke(token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("portal:profile")
