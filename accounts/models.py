from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .identity import InvalidEmail, email_canonical


class UserManager(BaseUserManager):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        """The canonical form (accounts.identity); raises InvalidEmail, a ValueError."""
        return email_canonical(email or "")

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        # Exact match on the canonical form: a look-alike is another address, not this account.
        try:
            canonical = email_canonical(username or "")
        except InvalidEmail:
            raise self.model.DoesNotExist from None
        return self.get(email=canonical)


class NotificationCategory(models.TextChoices):
    """Kinds of e-mail a person may turn off in their profile. Sign-up, password and the
    confirmation of a new request (it carries the reference) are always sent."""

    COMMENTS = "comments", _("New comments on my requests")
    STATUS = "status", _("Status changes of my requests (waiting for me, resolved, escalated)")
    REMINDERS = "reminders", _("Reminders when a request waits for my reply")
    SHARED = "shared", _("Requests shared with me")
    APPROVALS = "approvals", _("Requests waiting for my approval")
    # Agents
    ESCALATIONS = "escalations", _("Requests escalated to my team")
    SLA = "sla", _("SLA at risk or breached")
    WORK_ITEMS = "work_items", _("Work items done")
    CUSTOMER_ACTIVITY = "customer_activity", _("Customer replies, approvals and mail on requests I work")


AGENT_CATEGORIES = (
    NotificationCategory.ESCALATIONS,
    NotificationCategory.SLA,
    NotificationCategory.WORK_ITEMS,
    NotificationCategory.CUSTOMER_ACTIVITY,
)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: provider staff, agent or admin. The e-mail address is the login."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    language = models.CharField(_("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en")
    is_staff = models.BooleanField(
        _("admin"), default=False, help_text=_("May sign in to the configuration (Django admin).")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # NotificationCategory values this person turned off.
    muted_notifications = models.JSONField(_("e-mails turned off"), default=list, blank=True)
    # Agents: the queue columns they show, in order (tickets.queues.QUEUE_COLUMNS keys; empty: the defaults).
    queue_columns = models.JSONField(_("queue columns"), default=list, blank=True)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        if not self.email:
            return  # "required" is the field's to say
        try:
            self.email = email_canonical(self.email)
        except InvalidEmail:
            raise ValidationError({"email": EmailValidator.message}) from None

    def get_full_name(self):
        return self.full_name

    def wants_email(self, category: str | None) -> bool:
        return category is None or category not in (self.muted_notifications or [])

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Organization(models.Model):
    """A provider, agency or payer."""

    class Kind(models.TextChoices):
        PROVIDER = "provider", _("Provider")
        PAYER = "payer", _("Payer")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PROVIDER)
    provider_id = models.CharField(
        _("provider ID"), max_length=64, unique=True, null=True, blank=True, help_text=_("External ID.")
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="organizations")

    class Meta:
        ordering = ["name"]
        verbose_name = _("organization")

    def __str__(self):
        return self.name


class Site(models.Model):
    """A physical location of an organisation; exactly one is primary."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"], condition=models.Q(is_primary=True), name="site_one_primary"
            )
        ]

    def __str__(self):
        return f"{self.organization} — {self.name}"


class Membership(models.Model):
    class Role(models.TextChoices):
        SITE_ADMIN = "site_admin", _("Site admin")
        SITE_MANAGER = "site_manager", _("Site manager")
        LEAD_DIRECTOR = "lead_director", _("Lead director")
        STAFF = "staff", _("Staff")

    # These roles see every request of their organisation and may vouch for (approve) requests.
    VOUCHING_ROLES = (Role.SITE_ADMIN, Role.SITE_MANAGER, Role.LEAD_DIRECTOR)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.STAFF)
    sites = models.ManyToManyField(Site, blank=True, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")]
        indexes = [models.Index(fields=["organization", "role"], name="membership_org_role_idx")]

    def __str__(self):
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"

    @property
    def vouches(self) -> bool:
        return self.role in self.VOUCHING_ROLES


class ApiToken(models.Model):
    """A key for scripts and integrations. Only its SHA-256 is kept: the key is shown once,
    when it is made. It expires (API_TOKEN_DAYS) and can be revoked."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    # The key's first characters: enough to recognise it in a list, and to find its row.
    key_prefix = models.CharField(_("key starts with"), max_length=12, db_index=True, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class UserSession(AbstractBaseSession):
    """A browser session with the signed-in user's id beside it, so all of one person's
    sessions can be ended at once (accounts.services.user_deactivate). Django's documented
    "extending database-backed session engines"; the engine is accounts.sessions."""

    user_id = models.BigIntegerField(null=True, db_index=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore


class JoinRequest(models.Model):
    """Someone asks to become a member of an organisation; one of its vouching roles (or an
    agent) approves or declines (accounts.joining)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="join_requests")
    message = models.TextField(_("message"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("asked"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("request to join")
        verbose_name_plural = _("requests to join")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], condition=models.Q(status="pending"), name="join_request_one_pending"
            )
        ]
        indexes = [models.Index(fields=["organization", "status"], name="join_request_org_status_idx")]

    def __str__(self):
        return f"{self.user} → {self.organization} ({self.get_status_display()})"
