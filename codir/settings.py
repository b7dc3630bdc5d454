"""Settings of Codir de territoire, read from environment variables.

Development defaults are safe (SQLite file, console e-mail); DEBUG=true turns on the
development mode, production sets SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS and the e-mail
variables. A value that
cannot be parsed stops the start-up with a message naming the variable, rather than running
with a surprise.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from codir.env import env_bool, env_cache, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

# Off unless asked for: a production start that forgets the variable must not show debug pages.
# scripts/demo.sh and the test configuration turn it on.
DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY est obligatoire quand DEBUG est désactivé.")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env_str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "communes",
    "comptes",
    "decisions",
    "charte",
    "reseaux",
    "codir",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "codir.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "communes.sessions.SessionLimitsMiddleware",  # after messages: it tells why a session ended
    "comptes.second_factor.SecondFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: it turns a lockout into our 429 page
]

ROOT_URLCONF = "codir.urls"
WSGI_APPLICATION = "codir.wsgi.application"

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
                "comptes.context_processors.proconnect",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", default=0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The analyses of the map of the networks are cached and invalidated on change: the cache must be shared by
# every process that changes or shows them (web workers, task worker, commands), hence a file cache by default.
CACHES = {"default": env_cache("CACHE_URL", default=f"file://{BASE_DIR / 'var' / 'cache'}")}

AUTH_USER_MODEL = "communes.Agent"
AUTHENTICATION_BACKENDS = [
    # First, as django-axes requires: it refuses a locked-out account or address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "comptes.proconnect.ProConnectBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Guardian's anonymous user would need a username field we do not have; anonymous visitors
# never hold object permissions here anyway.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "mes_territoires"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day
INVITATION_VALIDITY_DAYS = 7
# The journal (who did what, logins and their addresses) is personal data: lines older than this are deleted
# by `manage.py purge_journal` (daily, cron), as the privacy page says.
JOURNAL_RETENTION_MONTHS = env_int("JOURNAL_RETENTION_MONTHS", default=12)

# --- ProConnect (OpenID Connect) : the block belongs to comptes/proconnect/ ---
# Off unless a client id is configured; then the secret and the provider's discovery document are required
# (the integration platform and production have different ones: README « Brancher ProConnect »).
PROCONNECT_CLIENT_ID = env_str("PROCONNECT_CLIENT_ID", default="")
PROCONNECT_ENABLED = bool(PROCONNECT_CLIENT_ID)
PROCONNECT_CLIENT_SECRET = env_str("PROCONNECT_CLIENT_SECRET", default="")
PROCONNECT_DISCOVERY_URL = env_str("PROCONNECT_DISCOVERY_URL", default="")
if PROCONNECT_ENABLED and not (PROCONNECT_CLIENT_SECRET and PROCONNECT_DISCOVERY_URL):
    raise ImproperlyConfigured(
        "PROCONNECT_CLIENT_SECRET et PROCONNECT_DISCOVERY_URL sont obligatoires quand PROCONNECT_CLIENT_ID est défini."
    )
# Tokens travel on these connections: plain HTTP only for a local test provider in development.
if PROCONNECT_DISCOVERY_URL and not PROCONNECT_DISCOVERY_URL.startswith("https://") and not DEBUG:
    raise ImproperlyConfigured(
        f"PROCONNECT_DISCOVERY_URL doit commencer par https://, pas {PROCONNECT_DISCOVERY_URL!r}."
    )
# The endpoints and keys of the provider change rarely: the discovery document is fetched once an hour at most.
PROCONNECT_DISCOVERY_CACHE_SECONDS = env_int("PROCONNECT_DISCOVERY_CACHE_SECONDS", default=3600)
# What mozilla-django-oidc reads; the provider's endpoints come from the discovery document, not from settings.
OIDC_RP_SCOPES = "openid email given_name usual_name siret uid idp_id"
OIDC_RP_SIGN_ALGO = "RS256"  # id_token and userinfo, checked against the provider's JWKS
OIDC_AUTHENTICATION_CALLBACK_URL = "proconnect_callback"
OIDC_USE_NONCE = True
OIDC_STATE_SIZE = 48  # ProConnect asks for at least 32 characters of state and nonce
OIDC_NONCE_SIZE = 48
# ProConnect refuses any authorize parameter it does not list (PKCE is not among them).
OIDC_USE_PKCE = False
# Accounts come from invitations (comptes/proconnect/agents.py), never from a login alone.
OIDC_CREATE_USER = False
OIDC_TIMEOUT = env_int("PROCONNECT_TIMEOUT_SECONDS", default=10)  # the library waits forever otherwise
# --- end ProConnect ---

# --- Second factor (TOTP, recovery codes) : the block belongs to comptes/second_factor/ ---
OTP_TOTP_ISSUER = "Codir de territoire"
# django-otp's exponential back-off after a wrong code: 1, 2, 4, 8… seconds (factor × 2^(failures − 1)).
# It lives on the device, so starting the login again does not reset it.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Between the password and the code: the pending login is forgotten after this long, or after this many wrong codes.
SECOND_FACTOR_PENDING_SECONDS = 5 * 60
SECOND_FACTOR_MAX_FAILURES = 5
# How often a session not yet verified re-reads whether its agent must have a factor (a role granted meanwhile).
SECOND_FACTOR_RECHECK_SECONDS = 5 * 60
# The administration does not display the TOTP secrets (anyone who reads one can produce the agent's codes).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# An API token stops working after this many days (and sooner: see comptes/tokens.py).
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", default=30)
# --- end second factor ---

# --- Login throttling (django-axes) : comptes/throttling.py ---
# A lockout is per account *and* address: an attacker elsewhere cannot lock a real user out, and the
# lockout ends by itself after the cool-off (there is no permanent lockout).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "comptes.throttling.lockout_response"
AXES_VERBOSE = False
AXES_USERNAME_CALLABLE = "comptes.throttling.username_of"  # "Dupont@X.fr" and "dupont@x.fr" count as one account
# A failure during the lockout does not restart the cool-off: the lockout always ends on time.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True  # logins are written to our own journal (comptes/journal.py)
# The client's address: REMOTE_ADDR, unless the application sits behind reverse proxies that set
# X-Forwarded-For; then TRUSTED_PROXY_COUNT says how many of them append to it (README).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "comptes.throttling.client_ip"
# --- end login throttling ---

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "/media/"  # never routed: stored files are served by views that check rights (communes/uploads.py)
# The largest file an agent may attach (agenda and project documents, deliberations), in bytes; set in Mo.
# Every upload path checks it (communes/uploads.py); the web server's own limit (nginx client_max_body_size)
# should be a little above it, so that a too-big file gets our French message rather than the server's.
MAX_UPLOAD_SIZE = env_int("MAX_UPLOAD_SIZE_MB", default=20) * 1024 * 1024

# E-mail: console in development; EMAIL_BACKEND=smtp with EMAIL_HOST... in production.
_email_backends = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
}
_email_backend = env_str("EMAIL_BACKEND", default="console")
if _email_backend not in _email_backends:
    raise ImproperlyConfigured(f"EMAIL_BACKEND doit valoir l'un de {sorted(_email_backends)}, pas {_email_backend!r}.")
EMAIL_BACKEND = _email_backends[_email_backend]
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-mails"))
EMAIL_HOST = env_str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env_int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", default="CoDir de territoire <codir@localhost>")

# Background tasks: the database backend and its `manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}

REST_FRAMEWORK = {
    # Token first, so an anonymous call gets 401 with a WWW-Authenticate header rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "comptes.tokens.ExpiringTokenAuthentication",  # DRF's, with an expiry and revocations
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "communes.api.TerritoireAutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "communes.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API CoDir de territoire",
    "DESCRIPTION": (
        "API REST de CoDir de territoire. Toutes les ressources d'un territoire sont sous "
        "/api/v1/t/{territoire_slug}/ ; un agent qui n'appartient pas au territoire reçoit 404."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: no CDN, the application works on a closed network.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CollectiviteKindEnum": "communes.models.Collectivite.Kind",
        "SeatKindEnum": "communes.models.Seat.Kind",
        "MembershipRoleEnum": "communes.models.Membership.Role",
        "PropositionKindEnum": "decisions.models.Proposition.Kind",
        "PropositionStatusEnum": "decisions.models.Proposition.Status",
        "ActionStatusEnum": "decisions.models.Action.Status",
        "VersionStatusEnum": "charte.models.Version.Status",
        "InstanceKindEnum": "codir.models.Instance.Kind",
        "AgendaVersionKindEnum": "codir.models.AgendaVersion.Kind",
        "PresenceStatusEnum": "codir.models.Presence.Status",
        "DecisionModeEnum": "decisions.models.ModeChoices",
        "MajorityEnum": "decisions.models.MajorityChoices",
        "AmendementStatusEnum": "charte.models.Amendement.Status",
        "AmendementKindEnum": "charte.models.Amendement.Kind",
        "ProjetStatusEnum": "reseaux.models.Projet.Status",
        "ProjetPilotageEnum": "reseaux.models.Projet.Pilotage",
        "ProjetHealthEnum": "reseaux.models.Projet.Health",
        "PhaseKindEnum": "reseaux.models.Phase.Kind",
        "PhaseStatusEnum": "reseaux.models.Phase.Status",
        "LienKindEnum": "reseaux.models.Lien.Kind",
        "ReseauKindEnum": "reseaux.models.Reseau.Kind",
        "MembreReseauRoleEnum": "reseaux.models.MembreReseau.Role",
        "EchangeKindEnum": "reseaux.models.Echange.Kind",
    },
}

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
# A session ends after this long without a request, and this long after the login whatever happens.
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", default=2 * 3600)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", default=12 * 3600)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=not DEBUG)
# In production the application is only ever reached over HTTPS (README, "En production"): plain HTTP is
# redirected, and browsers are told to remember it for a year (HSTS), subdomains included.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_HTTPS_PROXY", default=False) else None
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [
    # Asking browsers to preload the domain in their HSTS list is a commitment for the whole domain, which
    # belongs to the collectivité, not to this application: SECURE_HSTS_PRELOAD=true once they decide it.
    "security.W021",
]

# Content-Security-Policy: our pages load scripts, styles, images and fonts from our own origin only, run no
# inline script and no inline style (templates carry none, a test checks), and are never framed. Forms post
# to our origin; ProConnect's logout is reached by a redirect after a form, which browsers check against
# form-action, hence its origin there when it is configured.
_form_action = [SELF]
if PROCONNECT_ENABLED and PROCONNECT_DISCOVERY_URL:
    _discovery = urlsplit(PROCONNECT_DISCOVERY_URL)
    _form_action.append(f"{_discovery.scheme}://{_discovery.netloc}")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": _form_action,
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", default="INFO")},
    # django-axes tells every login at INFO; our journal already holds them. Lockouts stay (WARNING).
    "loggers": {"axes": {"level": "WARNING"}},
}
