"""Registration and account services."""

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from notifications.services import notification_create

from .models import User

SIGNUP_SALT = "accounts.signup"


class SignupLinkError(Exception):
    reason = "invalid"


class SignupLinkInvalid(SignupLinkError):
    reason = "invalid"


class SignupLinkExpired(SignupLinkError):
    reason = "expired"


class SignupLinkUsed(SignupLinkError):
    reason = "used"


def normalize_email(email: str) -> str:
    return User.objects.normalize_email(email.strip()).lower()


def signup_token_make(*, email: str) -> str:
    return signing.dumps({"email": normalize_email(email)}, salt=SIGNUP_SALT, compress=True)


def signup_token_read(*, token: str) -> str:
    """The e-mail address a sign-up link was sent to. A link is single-use: once an account
    exists for the address, the link is spent."""
    try:
        payload = signing.loads(token, salt=SIGNUP_SALT, max_age=settings.SIGNUP_LINK_MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise SignupLinkExpired from exc
    except signing.BadSignature as exc:
        raise SignupLinkInvalid from exc
    email = payload.get("email") if isinstance(payload, dict) else None
    if not email:
        raise SignupLinkInvalid
    if User.objects.filter(email__iexact=email).exists():
        raise SignupLinkUsed
    return email


@transaction.atomic
def signup_link_send(*, email: str, language: str) -> None:
    """Mail a sign-up link, or, when the address already has an account, a note saying so.
    The caller shows the same page either way, so the form does not reveal who is registered."""
    email = normalize_email(email)
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        notification_create(
            kind="signup_existing_account",
            to_email=existing.email,
            language=existing.language,
            template="signup_existing_account",
            context={
                "name": existing.full_name,
                "login_url": settings.SITE_URL + reverse("accounts:login"),
                "reset_url": settings.SITE_URL + reverse("accounts:password_reset"),
            },
        )
        return
    token = signup_token_make(email=email)
    notification_create(
        kind="signup_verification",
        to_email=email,
        language=language,
        template="signup_verification",
        context={
            "url": settings.SITE_URL + reverse("accounts:signup_confirm", args=[token]),
            "hours": settings.SIGNUP_LINK_MAX_AGE_SECONDS // 3600,
        },
    )


def user_register(*, token: str, full_name: str, password: str, language: str) -> User:
    """Create the account a sign-up link was sent for; the link is spent afterwards."""
    email = signup_token_read(token=token)
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email, password=password, full_name=full_name.strip(), language=language
            )
    except IntegrityError as exc:
        # Two tabs submitting the same link at once: the second one finds it spent.
        raise SignupLinkUsed from exc


def user_set_language(*, user: User, language: str) -> None:
    """Remember the user's language for pages and e-mails."""
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


def user_get_or_create_contact(*, email: str, full_name: str, language: str = "en") -> User:
    """The account of someone who phoned or wrote in; a new one has no password yet (they can
    set one through "forgot your password")."""
    email = normalize_email(email)
    user = User.objects.filter(email__iexact=email).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=None, full_name=full_name.strip(), language=language)
    except IntegrityError:
        return User.objects.get(email__iexact=email)
