"""Registration and account services."""

import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from notifications.links import absolute_url
from notifications.services import notification_create

from .identity import InvalidEmail, email_canonical
from .models import ApiToken, User, UserSession
from .ratelimit import signin_reset
from .tokens import account_claim_token_generator

logger = logging.getLogger(__name__)

SIGNUP_SALT = "accounts.signup"


class SignupLinkError(Exception):
    reason = "invalid"


class SignupLinkInvalid(SignupLinkError):
    reason = "invalid"


class SignupLinkExpired(SignupLinkError):
    reason = "expired"


class SignupLinkUsed(SignupLinkError):
    reason = "used"


def signup_token_make(*, email: str) -> str:
    return signing.dumps({"email": email_canonical(email)}, salt=SIGNUP_SALT, compress=True)


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
    try:
        # Links signed before addresses were canonical carry the old form.
        email = email_canonical(email) if isinstance(email, str) else ""
    except InvalidEmail:
        email = ""
    if not email:
        raise SignupLinkInvalid
    if User.objects.filter(email=email).exists():
        raise SignupLinkUsed
    return email


def user_is_contact(*, user: User) -> bool:
    """An account made for a caller or an e-mail sender that nobody has claimed: no password yet."""
    return not user.has_usable_password()


def _password_url(*, user: User, view: str, token: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return absolute_url(reverse(view, kwargs={"uidb64": uid, "token": token}))


def password_reset_url(*, user: User) -> str:
    """A signed link to choose a password, valid PASSWORD_RESET_TIMEOUT seconds and spent once
    the password changes (Django's token covers the password hash and the last sign-in)."""
    return _password_url(
        user=user, view="accounts:password_reset_confirm", token=default_token_generator.make_token(user)
    )


def account_claim_url(*, user: User) -> str:
    """A "set your password" link for a contact (e.g. in the confirmation of a request taken by
    phone), valid ACCOUNT_CLAIM_LINK_DAYS days and spent once a password is set."""
    return _password_url(user=user, view="accounts:account_claim", token=account_claim_token_generator.make_token(user))


def _set_password_mail(*, user: User, url: str, hours: int) -> None:
    notification_create(
        kind="account_set_password",
        confidential=True,  # the link signs them in
        to_email=user.email,
        language=user.language,
        template="account_set_password",
        context={"name": user.full_name, "url": url, "hours": hours},
    )


@transaction.atomic
def password_reset_send(*, email: str) -> None:
    """Mail a link to choose a password to the active account of this address, if any. An
    account with no password yet (a contact) gets "set your password" in the same link. Runs
    outside the request (accounts.tasks), so known and unknown addresses answer alike."""
    try:
        email = email_canonical(email)
    except InvalidEmail:
        return
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None:
        return
    url = password_reset_url(user=user)
    if user_is_contact(user=user):
        _set_password_mail(user=user, url=url, hours=settings.PASSWORD_RESET_TIMEOUT // 3600)
        return
    notification_create(
        kind="password_reset",
        confidential=True,  # the link signs them in
        to_email=user.email,
        language=user.language,
        template="password_reset",
        context={"name": user.full_name, "url": url},
    )


@transaction.atomic
def signup_link_send(*, email: str, language: str) -> None:
    """Mail a sign-up link; when the address already has an account, a note saying so, or for a
    contact with no password yet, a link to set one. Runs outside the request (accounts.tasks):
    the page answers the same, as fast, whoever is registered."""
    try:
        email = email_canonical(email)
    except InvalidEmail:
        return
    existing = User.objects.filter(email=email).first()
    if existing is not None and existing.is_active and user_is_contact(user=existing):
        _set_password_mail(
            user=existing, url=password_reset_url(user=existing), hours=settings.PASSWORD_RESET_TIMEOUT // 3600
        )
        return
    if existing is not None:
        notification_create(
            kind="signup_existing_account",
            to_email=existing.email,
            language=existing.language,
            template="signup_existing_account",
            context={
                "name": existing.full_name,
                "login_url": absolute_url(reverse("accounts:login")),
                "reset_url": absolute_url(reverse("accounts:password_reset")),
            },
        )
        return
    token = signup_token_make(email=email)
    notification_create(
        kind="signup_verification",
        confidential=True,  # the link signs them in
        to_email=email,
        language=language,
        template="signup_verification",
        context={
            "url": absolute_url(reverse("accounts:signup_confirm", args=[token])),
            "hours": settings.SIGNUP_LINK_MAX_AGE_SECONDS // 3600,
        },
    )


def user_register(*, token: str, full_name: str, password: str, language: str) -> User:
    """Create the account a sign-up link was sent for; the link is spent afterwards."""
    email = signup_token_read(token=token)
    try:
        with transaction.atomic():
            user: User = User.objects.create_user(
                email=email, password=password, full_name=full_name.strip(), language=language
            )
            return user
    except IntegrityError as exc:
        # Two tabs submitting the same link at once: the second one finds it spent.
        raise SignupLinkUsed from exc


def user_password_was_set(*, user: User) -> None:
    """After a password was chosen through a mailed link: the person showed the mailbox is
    theirs, so a sign-in lockout of the account (accounts.ratelimit) is lifted."""
    signin_reset(account=user.email)


def user_password_changed(*, user_id: int) -> int:
    """A new password ends the API tokens made with the old one (a stolen password turned into
    a token must not outlive the reset). Browser sessions end through Django's session hash.
    Returns how many tokens were revoked."""
    revoked = ApiToken.objects.filter(user_id=user_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if revoked:
        logger.info("user %s changed their password: %s API tokens revoked", user_id, revoked)
    return revoked


def user_set_language(*, user: User, language: str) -> None:
    """Remember the user's language for pages and e-mails."""
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


def user_get_or_create_contact(*, email: str, full_name: str, language: str = "en") -> User:
    """The account of someone who phoned or wrote in; a new one has no password yet (they can
    claim it through "forgot your password", sign-up, or account_claim_url). Raises InvalidEmail
    for an address with no canonical form."""
    email = email_canonical(email)
    user = User.objects.filter(email=email).first()
    if user is not None:
        return user
    try:
        with transaction.atomic():
            contact: User = User.objects.create_user(
                email=email, password=None, full_name=full_name.strip(), language=language
            )
            return contact
    except IntegrityError:
        return User.objects.get(email=email)


def user_deactivate(*, user: User, actor: User | None = None) -> None:
    """Deactivate an account and end its access at once: every browser session and API token."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        sessions, _kinds = UserSession.objects.filter(user_id=user.pk).delete()
    logger.info(
        "user %s deactivated by %s: %s sessions ended, %s API tokens revoked",
        user.pk,
        actor.pk if actor is not None else "system",
        sessions,
        revoked,
    )
