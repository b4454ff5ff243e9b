from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .forms import EmailForm, LoginForm, OutboxPasswordResetForm, SignupForm
from .ratelimit import client_ip, client_ip_and_email, posted_email, ratelimit
from .services import SignupLinkError, signup_link_send, signup_token_read, user_register

BAD_LINK_STATUS = {"invalid": 400, "expired": 410, "used": 410}


class InvalidFormIs400:
    """Bad input is a client error: re-show the form with its messages and a 400."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


@require_http_methods(["GET", "POST"])
@ratelimit(scope="signup", rate_setting="RATELIMIT_SIGNUP", keys=(client_ip, posted_email))
def signup(request):
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        signup_link_send(email=form.cleaned_data["email"], language=get_language() or "en")
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
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
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


@method_decorator(
    ratelimit(scope="login", rate_setting="RATELIMIT_LOGIN", keys=(client_ip_and_email,)), name="dispatch"
)
class LoginView(InvalidFormIs400, auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@method_decorator(
    ratelimit(scope="password_reset", rate_setting="RATELIMIT_PASSWORD_RESET", keys=(client_ip, posted_email)),
    name="dispatch",
)
class PasswordResetView(InvalidFormIs400, auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = OutboxPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetConfirmView(InvalidFormIs400, auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
