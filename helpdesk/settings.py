"""Settings, all read from the environment (12-factor).

With nothing set, the project runs on embedded defaults: SQLite, Celery in eager mode,
e-mail written as one .eml file per message under var/mail/, uploads under var/media/.
`DEBUG` is off unless set.
"""

import sys
from pathlib import Path

import django_stubs_ext
import environ
from django.core.management.utils import get_random_secret_key
from django.utils.translation import gettext_lazy as _

# Lets annotations name generic Django classes at run time (admin.ModelAdmin[Notification]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# The embedded database, mail and uploads live here when nothing else is configured.
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DEBUG", default=False)

# Management commands that never sign anything may run without a key (a throwaway one), so
# `manage.py makemigrations --check` or `migrate` work anywhere; web and worker processes,
# `check` and `runserver` refuse to start without one.
_KEYLESS_COMMANDS = {
    "makemigrations", "migrate", "showmigrations", "sqlmigrate", "collectstatic", "makemessages", "compilemessages",
}  # fmt: skip
_COMMAND = sys.argv[1] if len(sys.argv) > 1 and Path(sys.argv[0]).name == "manage.py" else ""
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="insecure-development-key-only-for-debug-mode")
elif _COMMAND in _KEYLESS_COMMANDS:
    # Not env.str's default: django-environ reads a default starting with "$" as the name of
    # another variable, and a random key starts with "$" one time in fifty.
    SECRET_KEY = env.str("SECRET_KEY", default="") or get_random_secret_key()
else:
    # No default: a production process must not start with a guessable key.
    SECRET_KEY = env.str("SECRET_KEY")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Public base URL of the help desk, for links in e-mail (sent by workers, with no request to ask).
# `make run` sets it from HOST and PORT; in development with none set, the first request's host
# is used (notifications.links); a production process without it gets a system check warning.
SITE_URL = env.str("SITE_URL", default="").rstrip("/")

INSTALLED_APPS = [
    "helpdesk.admin_site.HelpdeskAdminConfig",  # django.contrib.admin with filters limited to the offered ones
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here (no CDN): /api/docs/
    "notifications",
    "accounts",
    "tickets",
    "kb",
    "portal",
    "mailin",
    "demo",
    "webhooks",
    "reports",
    "configuration",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "helpdesk.db_router.ForgetWritesMiddleware",
    "helpdesk.middleware.ContentSecurityPolicyMiddleware",
    "helpdesk.middleware.RejectNullCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "notifications.links.LearnSiteUrlMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.navigation",
            ],
        },
    },
]

# --- API -----------------------------------------------------------------------------------
REST_FRAMEWORK: dict[str, object] = {
    # A token for scripts and integrations (hashed, expiring: accounts.api_tokens); the browser
    # session (with its CSRF check) for pages.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Per user and per client address; rates are API_THROTTLE_* below, read at call time, and
    # the throttles fail open when the cache is down. 429 answers carry Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["accounts.throttling.UserRateThrottle", "accounts.throttling.AddressRateThrottle"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["tickets.api.errors.SafeJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "tickets.api.schema.HelpdeskAutoSchema",
    "EXCEPTION_HANDLER": "tickets.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# DRF's own notion of the client address agrees with accounts.ratelimit.client_ip.
REST_FRAMEWORK["NUM_PROXIES"] = env.int("TRUSTED_PROXY_COUNT", default=0) or None
API_THROTTLE_USER = env.str("API_THROTTLE_USER", default="120/min")
API_THROTTLE_ADDRESS = env.str("API_THROTTLE_ADDRESS", default="300/min")
# API tokens expire this many days after they are made; one person keeps at most this many.
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
API_TOKEN_MAX_PER_USER = env.int("API_TOKEN_MAX_PER_USER", default=10)
# The catalogue editor moves the stored values of a field made (not) sensitive in the request up to
# this many; more are moved by a Celery task after the change commits.
CATALOGUE_SENSITIVE_SYNC_MAX = env.int("CATALOGUE_SENSITIVE_SYNC_MAX", default=500)
SPECTACULAR_SETTINGS = {
    "TITLE": "Help desk API",
    "DESCRIPTION": (
        "Everything a person does in the portal and the agent workspace. Get a token with "
        "POST /api/v1/auth/token/ (or on your profile page), send it as `Authorization: Token <key>`, "
        "read the catalogue (desks, request types, their forms), then submit and follow requests. "
        "Status changes only through /transitions/ (and /approval/). Errors: 400 `{field: [messages]}`, "
        'otherwise `{"detail": "…"}` with 401, 403, 404, 409, 413 or 429 (with Retry-After).'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are for integrators before they have an account.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": False, "displayOperationId": True},
    "TAGS": [
        {"name": "catalogue", "description": "Desks, request types and their create forms."},
        {"name": "requests", "description": "Requests and everything done on them."},
        {"name": "agents", "description": "The agents' queues and search."},
        {"name": "auth", "description": "Tokens for scripts and integrations."},
    ],
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "tickets.workflow.Status",
        "WorkItemStatusEnum": "tickets.models.WorkItem.Status",
        "ActivityKindEnum": "tickets.models.Activity.Kind",
        "WorkItemKindEnum": "tickets.models.WorkItem.Kind",
        "TierEnum": "tickets.models.Team.Tier",
        "ChannelEnum": "tickets.models.Channel",
        # The on-behalf form's channels: how the caller reached the agent.
        "IntakeChannelEnum": [("phone", "phone"), ("email", "email")],
    },
}

# --- Database ------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Fail fast instead of hanging a worker when the database is unreachable.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    # No JIT: compiling a plan took 2.5 s for a search query that runs in milliseconds (the JIT
    # pays off only for long analytical queries, which this application does not run).
    if not env.bool("DATABASE_JIT", default=False):
        DATABASES["default"]["OPTIONS"]["options"] = "-c jit=off"
# A streaming replica for reads that may be seconds stale (search, list counts, exports):
# helpdesk/db_router.py. Writes, and every read after a write, stay on the primary.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    DATABASES["replica"].update(CONN_MAX_AGE=DATABASES["default"]["CONN_MAX_AGE"], CONN_HEALTH_CHECKS=True)
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["helpdesk.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: broker and cache -----------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Short timeouts: a slow or absent Redis must not hold a page up.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions live in the database, never in Redis: Redis being down must not sign anyone out. Each
# row carries its user's id, so deactivating someone ends all their sessions at once.
SESSION_ENGINE = "accounts.sessions"

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="helpdesk")
# With CELERY_SPLIT_QUEUES on, tasks go to a queue per kind of work, so each can have workers of
# its own (bench/README.md, "Scaling out"): then every queue needs a worker (`-Q mail`, ...).
# Off (the default), everything is on CELERY_TASK_DEFAULT_QUEUE.
if env.bool("CELERY_SPLIT_QUEUES", default=False):
    CELERY_TASK_ROUTES = {
        "notifications.tasks.*": {"queue": "mail"},
        "mailin.tasks.*": {"queue": "inbound"},
        "webhooks.tasks.*": {"queue": "webhooks"},
        "reports.tasks.*": {"queue": "reports"},
    }
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker waits for its broker however long Redis is away (Celery's default gives up after 100
# tries, about 45 minutes, and exits) and goes on with the outbox when it is back.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# On a lost broker connection a send in progress finishes instead of being killed, which could
# fall between the server's acceptance and the row marked sent (the one way to send twice); a
# redelivered copy finds the row claimed and does nothing. Set here because Celery 6 flips the
# default. Why a lost connection no longer kills the worker: helpdesk/celery.py.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than any task plus its longest retry countdown, or a slow task runs twice.
    # (checked against NOTIFICATION_RETRY_MAX_SECONDS + CELERY_TASK_TIME_LIMIT: notifications.E001).
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    # A publish tries the broker once and gives up within these timeouts; the outbox sweep sends
    # what did not make it. kombu's default retries made a page wait 6 s with Redis stopped.
    "max_retries": 0,
    "socket_connect_timeout": 0.5,
    "socket_timeout": 1,
    # How often a consumer puts back messages whose worker died (kombu's defaults; tests shorten them).
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
}
CELERY_BEAT_SCHEDULE = {
    "notifications-sweep": {
        "task": "notifications.tasks.sweep_unsent",
        "schedule": env.float("NOTIFICATION_SWEEP_SECONDS", default=60.0),
        # Sweeps queued while no worker ran are worth nothing later: the next one does it all.
        "options": {"expires": env.float("NOTIFICATION_SWEEP_SECONDS", default=60.0)},
    },
    "sla-check": {"task": "tickets.tasks.check_slas", "schedule": 300.0},
    "lifecycle-clocks": {"task": "tickets.tasks.run_lifecycle_clocks", "schedule": 3600.0},
    "attachments-sweep": {
        "task": "tickets.tasks.sweep_unclaimed_attachments",
        "schedule": 3600.0,
    },
    "mailin-poll": {"task": "mailin.tasks.poll_mailboxes", "schedule": env.float("MAILIN_POLL_SECONDS", default=60.0)},
    "webhooks-prune-log": {"task": "webhooks.tasks.prune_delivery_log", "schedule": 86400.0},
    "reports-refresh": {
        "task": "reports.tasks.refresh_reports",
        "schedule": env.float("REPORTS_REFRESH_SECONDS", default=300.0),
        "options": {"expires": env.float("REPORTS_REFRESH_SECONDS", default=300.0)},
    },
}
# Inbound e-mail (mailin/): mailboxes are configured in the admin; these tune the polling.
MAILIN_POLL_SECONDS = env.float("MAILIN_POLL_SECONDS", default=60.0)
MAILIN_ALERT_AFTER_MINUTES = env.int("MAILIN_ALERT_AFTER_MINUTES", default=15)
MAILIN_BATCH_SIZE = env.int("MAILIN_BATCH_SIZE", default=25)
MAILIN_MAX_MESSAGE_BYTES = env.int("MAILIN_MAX_MESSAGE_BYTES", default=40 * 1024 * 1024)
MAILIN_IMAP_TIMEOUT_SECONDS = env.float("MAILIN_IMAP_TIMEOUT_SECONDS", default=30.0)
MAILIN_INVITE_INTERVAL_HOURS = env.int("MAILIN_INVITE_INTERVAL_HOURS", default=24)
# The authserv-id(s) of the mail server that receives the desks' mail (its Authentication-Results
# headers are believed, others ignored). Unset: no sender is verified, and mail from agents, which
# would speak for the help desk, is held for an admin (mailin.authentication).
MAILIN_AUTHSERV_IDS = env.str("MAILIN_AUTHSERV_IDS", default="")

# --- E-mail --------------------------------------------------------------------------------
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "notifications.backends.EmlFileBackend",
)
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Help Desk <helpdesk@example.com>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Domain used in Message-IDs we create, so replies and loops can be recognised.
EMAIL_MESSAGE_ID_DOMAIN = env.str("EMAIL_MESSAGE_ID_DOMAIN", default="helpdesk.local")
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
NOTIFICATION_RETRY_BASE_SECONDS = env.float("NOTIFICATION_RETRY_BASE_SECONDS", default=30.0)
NOTIFICATION_RETRY_MAX_SECONDS = env.float("NOTIFICATION_RETRY_MAX_SECONDS", default=1800.0)
# A row claimed for sending but not marked sent after this long is taken again by the sweep.
NOTIFICATION_CLAIM_TIMEOUT_SECONDS = env.int("NOTIFICATION_CLAIM_TIMEOUT_SECONDS", default=300)
# Rows still pending after this long are re-queued by the sweep (their publish was lost).
NOTIFICATION_SWEEP_AFTER_SECONDS = env.int("NOTIFICATION_SWEEP_AFTER_SECONDS", default=120)
# Only one sweep at a time (a lock on the broker's Redis, expiring after this long).
NOTIFICATION_SWEEP_LOCK_SECONDS = env.float("NOTIFICATION_SWEEP_LOCK_SECONDS", default=30.0)
# After a failed publish, a process leaves new messages to the sweep for this long.
NOTIFICATION_PUBLISH_PAUSE_SECONDS = env.float("NOTIFICATION_PUBLISH_PAUSE_SECONDS", default=5.0)

# --- Webhooks (webhooks/): a channel of the outbox, with the same claim, retry and sweep ---------
# Host names (exactly as in an endpoint's URL) that may resolve to a private, loopback or
# link-local address: an integration inside the operator's own network. Every other target must
# resolve to public addresses only, checked at save and again at each send.
WEBHOOKS_ALLOWED_HOSTS = env.list("WEBHOOKS_ALLOWED_HOSTS", default=[])
# Retries: the e-mail's clocks unless set (notifications.E001 checks the longest against the
# broker's visibility timeout).
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=NOTIFICATION_MAX_ATTEMPTS)
WEBHOOKS_RETRY_BASE_SECONDS = env.float("WEBHOOKS_RETRY_BASE_SECONDS", default=NOTIFICATION_RETRY_BASE_SECONDS)
WEBHOOKS_RETRY_MAX_SECONDS = env.float("WEBHOOKS_RETRY_MAX_SECONDS", default=NOTIFICATION_RETRY_MAX_SECONDS)
# Connect and read timeout of one delivery; within the task's soft limit (webhooks.E001).
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=min(10.0, CELERY_TASK_SOFT_TIME_LIMIT / 3))
# A Celery queue of their own, so a slow receiver never holds up mail ("": the default queue).
WEBHOOKS_QUEUE = env.str("WEBHOOKS_QUEUE", default="")
# The delivery log keeps each attempt this many days.
WEBHOOKS_LOG_DAYS = env.int("WEBHOOKS_LOG_DAYS", default=30)

# --- Files -----------------------------------------------------------------------------------
MEDIA_ROOT = env.str("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# No MEDIA_URL on purpose: attachments are served only through a permission-checked view.
STATIC_URL = "/static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]

AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": MEDIA_ROOT},
    }
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=20 * 1024 * 1024)
# Files uploaded ahead of a form that is never sent are removed after this many hours.
ATTACHMENT_STAGING_HOURS = env.int("ATTACHMENT_STAGING_HOURS", default=24)
# Files one person may have uploaded ahead of forms not sent yet (the sweep removes them later).
ATTACHMENT_STAGED_MAX_FILES = env.int("ATTACHMENT_STAGED_MAX_FILES", default=100)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The size limit is enforced while the upload streams in, before the file is kept anywhere.
FILE_UPLOAD_HANDLERS = [
    "helpdesk.uploads.SizeLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Accounts --------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Every sign-in door (portal, admin, API token endpoint) goes through the sign-in limit.
AUTHENTICATION_BACKENDS = ["accounts.backends.RateLimitedModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "landing"  # agents to their queues, customers to the Help Center
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SIGNUP_LINK_MAX_AGE_SECONDS = env.int("SIGNUP_LINK_MAX_AGE_SECONDS", default=24 * 3600)
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 3600)
# "Set your password" links for contacts (accounts made for a caller or an e-mail sender).
ACCOUNT_CLAIM_LINK_DAYS = env.int("ACCOUNT_CLAIM_LINK_DAYS", default=7)
# Rate limits, "count/seconds"; they fail open when the cache is unreachable.
RATELIMIT_ENABLED = env.bool("RATELIMIT_ENABLED", default=True)
# After the cache (Redis) fails, limits and presence skip it for this long, failing open at once.
RESILIENCE_CACHE_PAUSE_SECONDS = env.float("RESILIENCE_CACHE_PAUSE_SECONDS", default=5.0)
# Failed sign-ins per account and per client address (an office shares one: above 30 colleagues
# each mistyping once, below 60 accounts sprayed); successes never count (accounts.ratelimit).
RATELIMIT_SIGNIN_ACCOUNT = env.str("RATELIMIT_SIGNIN_ACCOUNT", default="10/900")
RATELIMIT_SIGNIN_ADDRESS = env.str("RATELIMIT_SIGNIN_ADDRESS", default="50/900")
# Behind this many reverse proxies of our own, the client address is that many entries from the
# right of X-Forwarded-For; 0 (the default) trusts no header and uses REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
RATELIMIT_SIGNUP = env.str("RATELIMIT_SIGNUP", default="5/900")
RATELIMIT_PASSWORD_RESET = env.str("RATELIMIT_PASSWORD_RESET", default="5/900")

# --- Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Español"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["helpdesk.formats"]  # one date/time format per language
TIME_ZONE = env.str("TIME_ZONE", default="America/Chicago")
USE_I18N = True
USE_TZ = True

# --- Security --------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=14 * 24 * 3600)
CONTENT_SECURITY_POLICY = env.str(
    "CONTENT_SECURITY_POLICY",
    default=(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Demo data
DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="helpdesk-demo")

# Lifecycle clocks (days)
REOPEN_WINDOW_DAYS = env.int("REOPEN_WINDOW_DAYS", default=14)
# Requests one person may have waiting for approval at once (each mails the vouching roles).
APPROVAL_PENDING_MAX_PER_REQUESTER = env.int("APPROVAL_PENDING_MAX_PER_REQUESTER", default=3)
# Requests to join an organisation (accounts.joining): each mails its vouching roles, so one
# person may have this many waiting and make this many a day; lookups by ID or name per person.
JOIN_REQUEST_PENDING_MAX = env.int("JOIN_REQUEST_PENDING_MAX", default=2)
JOIN_REQUEST_DAILY_MAX = env.int("JOIN_REQUEST_DAILY_MAX", default=3)
RATELIMIT_JOIN_LOOKUP = env.str("RATELIMIT_JOIN_LOOKUP", default="10/3600")
AUTO_CLOSE_RESOLVED_DAYS = env.int("AUTO_CLOSE_RESOLVED_DAYS", default=7)
WAITING_FOR_CUSTOMER_REMINDER_DAYS = env.int("WAITING_FOR_CUSTOMER_REMINDER_DAYS", default=3)
WAITING_FOR_CUSTOMER_AUTO_RESOLVE_DAYS = env.int("WAITING_FOR_CUSTOMER_AUTO_RESOLVE_DAYS", default=7)

# SLA clocks count business time on this calendar (ISO weekdays, Monday = 1).
SLA_TIME_ZONE = env.str("SLA_TIME_ZONE", default=TIME_ZONE)
SLA_BUSINESS_HOURS = env.str("SLA_BUSINESS_HOURS", default="08:00-17:00")
SLA_BUSINESS_DAYS = env.str("SLA_BUSINESS_DAYS", default="1,2,3,4,5")
SLA_HOLIDAYS = env.str("SLA_HOLIDAYS", default="")  # comma-separated ISO dates
SLA_AT_RISK_RATIO = env.float("SLA_AT_RISK_RATIO", default=0.75)

# bench/http_bench.py: routes /bench/ceiling/ (helpdesk.views.bench_ceiling), the yardstick page.
BENCH_CEILING = env.bool("BENCH_CEILING", default=False)
# Reports (reports/): the summary tables are refreshed by beat every REPORTS_REFRESH_SECONDS;
# a refresh re-reads the changes of this many seconds before the last one (late commits).
REPORTS_REFRESH_SECONDS = env.float("REPORTS_REFRESH_SECONDS", default=300.0)
REPORTS_REFRESH_OVERLAP_SECONDS = env.int("REPORTS_REFRESH_OVERLAP_SECONDS", default=600)
# With no broker there is no beat (the embedded default): the report pages refresh the tables
# themselves when they are older than REPORTS_REFRESH_SECONDS.
REPORTS_REFRESH_ON_VIEW = env.bool("REPORTS_REFRESH_ON_VIEW", default=not REDIS_URL)
# The beat task stops building after this long (under CELERY_TASK_SOFT_TIME_LIMIT); the next run goes on.
REPORTS_REFRESH_BUDGET_SECONDS = env.float("REPORTS_REFRESH_BUDGET_SECONDS", default=40.0)
# The dashboard's figures from the summary tables are cached until the tables change (a refresh),
# at most this long (reports/cached.py).
REPORTS_CACHE_SECONDS = env.int("REPORTS_CACHE_SECONDS", default=3600)
# After each refresh, beat computes the default dashboard for every set of desks an agent sees
# (reports/warm.py): at a million requests a cold view takes seconds, a cached one ~0.2 s.
REPORTS_WARM_AFTER_REFRESH = env.bool("REPORTS_WARM_AFTER_REFRESH", default=True)
# Satisfaction survey links in the resolution e-mail stay valid this many days.
CSAT_LINK_MAX_AGE_DAYS = env.int("CSAT_LINK_MAX_AGE_DAYS", default=14)

# Agent queues
# The counts beside queue and list names are recounted at most this often per person (tickets/counts.py).
LIST_COUNT_CACHE_SECONDS = env.int("LIST_COUNT_CACHE_SECONDS", default=30)
QUEUE_EXPORT_MAX_ROWS = env.int("QUEUE_EXPORT_MAX_ROWS", default=10000)
