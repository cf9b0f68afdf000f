"""Settings for quizapp: one module, every value overridable from the environment.

Development works with no configuration at all (SQLite, a generated secret key, DEBUG on).
`QUIZAPP_ENV=production` switches on the hardening and makes the secrets mandatory.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from corsheaders.defaults import default_headers as default_cors_headers
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

QUIZAPP_ENV = env.str("QUIZAPP_ENV", default="development")
if QUIZAPP_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"QUIZAPP_ENV must be 'development' or 'production', not {QUIZAPP_ENV!r}."
    )
PRODUCTION = QUIZAPP_ENV == "production"


def _development_secret_key() -> str:
    """A key generated once per checkout and kept out of git, so sessions survive restarts."""
    path = BASE_DIR / ".secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(50)
        path.write_text(key + "\n")
        path.chmod(0o600)
        return key


if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a random string of at least 50 characters when "
            "QUIZAPP_ENV=production. Generate one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))' "
            "and export it as SECRET_KEY."
        )
else:
    SECRET_KEY = env.str("SECRET_KEY", default="") or _development_secret_key()

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "quizapp.admin_site.QuizappAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "knox",
    "django_filters",
    "corsheaders",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_tasks_db",
    "axes",
    "quizapp.accounts",
    "quizapp.bank",
    "quizapp.study",
    "quizapp.api",
    "quizapp.quizzes",
    "quizapp.classroom",
    "frontend",
]

MIDDLEWARE = [
    "corsheaders.middleware.CorsMiddleware",
    "quizapp.api.middleware.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Above whitenoise and the health check, so static files and /healthz carry them too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Before the host check (CommonMiddleware): a probe may use the server's own address.
    "quizapp.health.HealthCheckMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Before any view: a NUL in the address or a form is a 400 on every face (PostgreSQL
    # cannot compare text holding one).
    "quizapp.middleware.NulCharacterMiddleware",
    # Last: turns a login refused for too many failures into the lock-out page (or JSON).
    "axes.middleware.AxesMiddleware",
]

# Overridable so a benchmark can add its bare reference view without touching the real URLs.
ROOT_URLCONF = env.str("ROOT_URLCONF", default="quizapp.urls")
WSGI_APPLICATION = "quizapp.wsgi.application"
ASGI_APPLICATION = "quizapp.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Databases: SQLite is the embedded default; DATABASE_URL selects PostgreSQL (psycopg 3).
SQLITE_OPTIONS = {
    # IMMEDIATE takes the write lock when a transaction starts, so two writers queue on the
    # busy timeout instead of failing with "database is locked" when one upgrades its lock.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;"
        "PRAGMA synchronous=NORMAL;"
        "PRAGMA foreign_keys=ON;"
        "PRAGMA busy_timeout=20000;"
    ),
}
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
    # Tests use a file, not Django's shared-cache in-memory database: shared cache locks
    # whole tables and fails at once instead of waiting, so concurrency tests would test
    # a different SQLite from the one the app runs on.
    # One file per test run (process), so parallel runs on one checkout never share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Bounded waits: a server that accepts connections and never answers would otherwise hold
    # a request (and its thread) for psycopg's default of 130 s, and a runaway query forever.
    # Such a request is answered 503 (quizapp/outages.py). 0 leaves the statement timeout to
    # the server (e.g. `ALTER ROLE … SET statement_timeout`, behind PgBouncer).
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options.setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5))
    if _statement_timeout := env.int("DATABASE_STATEMENT_TIMEOUT", default=30):
        _options.setdefault("options", f"-c statement_timeout={_statement_timeout}s")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FIXTURE_DIRS = [BASE_DIR / "fixtures"]

# Cache: Redis when configured, otherwise the database, so throttles and counters are shared
# by every worker process (a per-process memory cache would let each worker count alone).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    # Fails open (quizapp/cache.py): with Redis down or hung the app serves without throttles,
    # waiting at most REDIS_TIMEOUT seconds for it, once per retry interval.
    _redis_timeout = env.float("REDIS_TIMEOUT", default=0.5)
    CACHES = {
        "default": {
            "BACKEND": "quizapp.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": _redis_timeout, "socket_timeout": _redis_timeout},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "quizapp_cache",
        }
    }

AUTH_USER_MODEL = "accounts.User"
# Axes first: it refuses a locked-out username and address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Django's database sessions, each stored with its user's id, so that a password set by an
# administrator or a deleted account ends every session of that user (quizapp/accounts).
SESSION_ENGINE = "quizapp.accounts.sessions"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

REST_FRAMEWORK = {
    # Device tokens first: an unauthenticated request then gets 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["quizapp.api.parsers.JSONParser"],
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_SCHEMA_CLASS": "quizapp.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "quizapp.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "quizapp.api.throttles.AnonymousThrottle",
        "quizapp.api.throttles.UserThrottle",
    ],
    # Counted in the shared cache (Redis or the database), so every worker sees every request.
    "DEFAULT_THROTTLE_RATES": {
        "anonymous": env.str("API_THROTTLE_ANONYMOUS", default="60/minute"),
        "user": env.str("API_THROTTLE_USER", default="1200/minute"),
        "login": env.str("API_THROTTLE_LOGIN", default="10/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# REST API v1 for the mobile client (quizapp/api/, docs/api.md).
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Bearer",
    # One token per device login. An active device keeps its token: each authenticated request
    # pushes the expiry TOKEN_TTL ahead (written at most once a minute).
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_TTL_DAYS", default=30)),
    "AUTO_REFRESH": True,
    "MIN_REFRESH_INTERVAL": 60,
}
API_MAX_DEVICE_TOKENS = env.int("API_MAX_DEVICE_TOKENS", default=10)
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=512 * 1024)
# Sync re-sends what changed in this window before each cursor, covering clock skew between
# servers and writes stamped just before a sync started but committed just after it.
API_SYNC_MARGIN_SECONDS = env.float("API_SYNC_MARGIN_SECONDS", default=60)
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (*default_cors_headers, "if-none-match")
CORS_EXPOSE_HEADERS = ["ETag", "Retry-After"]
SPECTACULAR_SETTINGS = {
    "TITLE": "quizapp API",
    "DESCRIPTION": "REST API v1 for the quizapp mobile client. See docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # A class role (student/teacher) is not an account role (student/teacher/admin).
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "quizapp.accounts.models.Role.values",
        "ClassRoleEnum": "quizapp.api.views.classes.CLASS_ROLES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "quizapp.api.schema.objects_declare_all_properties",
    ],
}

# Background tasks (Django's tasks framework): a database queue any server can run with
# `manage.py db_worker`, so heavy work such as fitting FSRS parameters never runs in a request.
TASKS = {
    "default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}
}

# Content Security Policy (Django's own middleware). Scripts need the per-request nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Brute force (django-axes, quizapp/accounts/login_policy.py, docs/security.md): after
# AXES_FAILURE_LIMIT failed logins for one username from one address, that pair is refused for
# AXES_COOLOFF_MINUTES, counted from the last failure before the lock-out (attempts during it
# do not extend it); after AXES_ADDRESS_FAILURE_LIMIT failures from one address across
# usernames, the address is. The same username from another address is not locked. Counted in
# the database, so every worker process sees every failure. Covers every password check that
# calls authenticate(request): web, admin and API logins, password change and deletion forms.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_ADDRESS_FAILURE_LIMIT = env.int("AXES_ADDRESS_FAILURE_LIMIT", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "quizapp.accounts.login_policy.LoginPolicyHandler"
AXES_LOCKOUT_CALLABLE = "frontend.account.lockout_response"
# Failures are kept (AccessAttempt, in the admin); successful logins only as User.last_login.
# Axes' success log would also create a session for every API token login.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no start-up banner on every command; lock-outs are still logged
# Client addresses. Off by default: the TCP peer (REMOTE_ADDR), which cannot be forged. Behind
# TRUSTED_PROXY_COUNT reverse proxies that each append the address they saw to X-Forwarded-For,
# the client is the address the outermost proxy appended: that many entries from the right.
# Never set it without such proxies: X-Forwarded-For would then be the client's to choose.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    # python-ipware counts the proxies listed *inside* the header, and the outermost proxy
    # does not list itself; extra entries to the left (forged by the client) are ignored.
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
    IPWARE_STRICT = False
# DRF's throttles (per-address API login limit) must read the address the same way: without
# NUM_PROXIES, DRF would key them on the whole X-Forwarded-For header, which a client sets.
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Probes reach the app server over plain HTTP; a redirect would count as healthy.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (the usual deployment).
    if env.bool("SECURE_PROXY_SSL_HEADER", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # Failed logins and lock-outs are warnings; axes' per-request notes are noise.
        "axes": {"level": "WARNING"},
    },
}

# Demo accounts (fixtures/) may be loaded only outside production.
DEMO_DATA_ALLOWED = not PRODUCTION
