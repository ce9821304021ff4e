"""Settings, read from the environment (see README.md, "Production settings").

One embedded default (SQLite, local files, local-memory cache) and one production path (PostgreSQL, Redis,
S3-compatible storage) chosen by environment variables; the code is the same on both.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("MOTCUA_DATA_DIR", Path.cwd() / "var")).resolve()

DEBUG = env_bool("DEBUG")
DEV_SECRET_KEY = "dev-insecure-motcua-secret-key-change-me"  # noqa: S105 - refused in production by a check
SECRET_KEY = os.environ.get("SECRET_KEY") or DEV_SECRET_KEY
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
CSRF_FAILURE_VIEW = "motcua.portal.errors.csrf_failure"  # a page in the portal's style with a way back
# The public address, used in QR codes and printed lists (e.g. https://dichvucong.quangninh.gov.vn).
# Unset: links use the address of the request being served (motcua.core.web.public_url); set it in production, so
# that messages sent outside a request (the worker, commands) have absolute links too.
PUBLIC_BASE_URL = os.environ.get("MOTCUA_PUBLIC_URL", "").rstrip("/")
# The name of the information system printed in the QR code of each result (Circular 01/2023/TT-VPCP, art. 12:
# "tên hệ thống thông tin cung cấp dữ liệu"), e.g. "Hệ thống thông tin giải quyết TTHC tỉnh Quảng Ninh".
MOTCUA_SYSTEM_NAME = os.environ.get("MOTCUA_SYSTEM_NAME", "") or "Hệ thống thông tin giải quyết TTHC MotCua"
# The reverse proxies in front of MotCua (addresses or prefixes, e.g. "10.0.0.0/8,172.16.0.5"): only a connection
# from one of them may say who the client is, in MOTCUA_CLIENT_IP_HEADER (the request.META key; X-Forwarded-For
# by default). Empty (the default): the connection's own address is the client's. See docs/security.md.
MOTCUA_TRUSTED_PROXIES = env_list("MOTCUA_TRUSTED_PROXIES", "")
MOTCUA_CLIENT_IP_HEADER = os.environ.get("MOTCUA_CLIENT_IP_HEADER", "") or "HTTP_X_FORWARDED_FOR"
# Trial mode: demo accounts are shown on the sign-in page (hypothetical accounts for a trial run).
DEMO_MODE = env_bool("MOTCUA_DEMO")

INSTALLED_APPS = [
    "motcua.portal",  # first, so that its templates (e.g. the admin sign-in page) take precedence
    "django.contrib.admin",
    "django.contrib.auth",
    "axes",  # the sign-in lockout (motcua.accounts.lockout)
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "csp",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "motcua.core",
    "motcua.geo",
    "motcua.agencies",
    "motcua.catalog",
    "motcua.signing",
    "motcua.dossiers",
    "motcua.documents",
    "motcua.accounts",
    "motcua.payments",
    "motcua.notifications",
    "motcua.feedback",
    "motcua.postal",
    "motcua.integrations",
    "motcua.assistant",
    "motcua.counters",
    "motcua.stats",
    "motcua.workspace",
    "motcua.api",
    "motcua.demo",  # the demo province and `motcua load_demo` (above every domain app)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "motcua.core.middleware.BodySizeLimitMiddleware",
    "motcua.core.middleware.InputBoundaryMiddleware",  # bad text, too deep or too large fields: refused here
    "motcua.core.middleware.ApiMethodNotAllowedMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "motcua.core.web.RequestContextMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "motcua.config.urls"
WSGI_APPLICATION = "motcua.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "motcua.core.context_processors.site",
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'motcua.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside a writer; IMMEDIATE avoids "database is locked" on write upgrades.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # The cache holds the throttles' counts (public tracking, surveys), which every web process must share: without
    # Redis, a table of the database (created by `migrate`, core/migrations/0002), never a per-process memory.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "motcua_cache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "workspace:login"
LOGIN_REDIRECT_URL = "workspace:home"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Dates typed as 27/11/2026 (Vietnamese usage) as well as 2026-11-27.
FORMAT_MODULE_PATH = ["motcua.formats"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedStaticFilesStorage"
        )
    },
}
if os.environ.get("AWS_STORAGE_BUCKET_NAME"):
    # S3-compatible object storage (MinIO, Viettel/VNPT cloud…) through django-storages, installed with
    # `pip install motcua[s3]`; its own variables (AWS_S3_ENDPOINT_URL, AWS_ACCESS_KEY_ID…) configure it.
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
WHITENOISE_USE_FINDERS = DEBUG
# Uploads larger than this go to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
# The largest file a citizen or officer may upload (scans, supplements, results), in MB.
MOTCUA_MAX_UPLOAD_MB = int(os.environ.get("MOTCUA_MAX_UPLOAD_MB", "20"))
# The largest request body (all files of one form together), in MB; larger ones are refused unread.
MOTCUA_MAX_REQUEST_MB = int(os.environ.get("MOTCUA_MAX_REQUEST_MB", "50"))
# The most pixels an uploaded JPEG or PNG may have, in megapixels: larger ones are refused from their header,
# before decoding (a 641 KB PNG can hold 900 megapixels, 2.7 GB decoded). 50 fits an A4 page scanned at 600 dpi
# (4961 × 7016 = 35 MP) and the largest usual phone photo (8064 × 6048 = 48.8 MP); decoding one takes at most
# 4 bytes a pixel, 200 MB.
MOTCUA_MAX_IMAGE_MEGAPIXELS = int(os.environ.get("MOTCUA_MAX_IMAGE_MEGAPIXELS", "50"))

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG and env_bool("HTTPS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # Django's own loggers go through the root handler only (otherwise every line is printed twice).
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}

NINJA_PAGINATION_MAX_LIMIT = 100

# Working hours of one-stop departments unless an agency sets its own (07:30–11:30, 13:00–17:00).
MOTCUA_WORKING_PERIODS = [("07:30", "11:30"), ("13:00", "17:00")]

# Home pickup by the post: the shortest time window (hours) an applicant may book for the courier's visit.
MOTCUA_PICKUP_MIN_WINDOW_HOURS = int(os.environ.get("MOTCUA_PICKUP_MIN_WINDOW_HOURS", "2"))

# --- accounts: citizen sign-in, and the national identity provider (OpenID Connect) ---------------------------
# (the OIDC_* variables are listed in README "Production settings")
# Contact verification codes: lifetime, wrong tries allowed, the wait between two codes.
ACCOUNTS_CODE_TTL_SECONDS = 10 * 60
ACCOUNTS_CODE_MAX_ATTEMPTS = 5
ACCOUNTS_CODE_RESEND_SECONDS = 60
# The sign-in lockout of every password sign-in (citizens, staff, admin), django-axes with its state in the
# database (shared by all processes): failed sign-ins allowed per account and per client address (many citizens
# may share one: a service center's kiosk, a mobile carrier's NAT), after which every try is refused, the right
# password too, for the lock time. See motcua.accounts.lockout and docs/security.md.
ACCOUNTS_LOGIN_FAILURES_PER_IDENTIFIER = int(os.environ.get("MOTCUA_LOGIN_FAILURES_PER_ACCOUNT", "5"))
ACCOUNTS_LOGIN_FAILURES_PER_IP = int(os.environ.get("MOTCUA_LOGIN_FAILURES_PER_ADDRESS", "30"))
ACCOUNTS_LOGIN_WINDOW_SECONDS = int(os.environ.get("MOTCUA_LOGIN_LOCK_MINUTES", "15")) * 60
AXES_HANDLER = "motcua.accounts.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = "motcua.accounts.lockout.failure_limit"
AXES_COOLOFF_TIME = "motcua.accounts.lockout.cool_off"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "motcua.core.web.client_ip"
AXES_WHITELIST_CALLABLE = "motcua.accounts.lockout.not_a_password_sign_in"
AXES_LOCKOUT_CALLABLE = "motcua.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = False  # the handler clears the account's failures itself (not its address's)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # tries refused by a lock do not prolong it
AXES_DISABLE_ACCESS_LOG = True  # keep failures only while they count (personal data: collect the minimum)
AXES_SENSITIVE_PARAMETERS = ["username", "identifier", "ip_address"]
AXES_HTTP_RESPONSE_CODE = 429
# The lockout backend comes first (it refuses a locked account before any password is checked); the citizen
# backend links identity-provider accounts by their subject only; it is inert without a client ID.
AUTHENTICATION_BACKENDS = [
    "motcua.accounts.lockout.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
    "motcua.accounts.oidc.CitizenOIDCBackend",
]
# OpenID Connect (mozilla-django-oidc): the national identity app (VNeID) or any provider; off when unset.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid email profile")
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", "VNeID")
OIDC_ID_NUMBER_CLAIM = os.environ.get("OIDC_ID_NUMBER_CLAIM", "citizen_id")
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", True)
OIDC_TIMEOUT = 15
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_authentication_callback"

# --- notifications: email (SMTP in production, files in development) and SMS ----------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "MotCua <no-reply@motcua.local>")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = DATA_DIR / "mail"
if EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
# A delivery attempt gives up after this many seconds (a hung SMTP server must not hold a worker forever).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))
# SMS: "file" writes one file per message under var/sms/ (development); "http" POSTs {"to", "text"} as JSON
# to SMS_API_URL with "Authorization: Bearer SMS_API_TOKEN" (production gateway).
SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "file")
SMS_FILE_PATH = Path(os.environ.get("SMS_FILE_PATH", DATA_DIR / "sms"))
SMS_API_URL = os.environ.get("SMS_API_URL", "")
SMS_API_TOKEN = os.environ.get("SMS_API_TOKEN", "")
SMS_API_TIMEOUT = float(os.environ.get("SMS_API_TIMEOUT", "10"))
# Vietnamese SMS without diacritics fit 160 characters (GSM 7-bit); with them, 70 per segment.
SMS_ASCII = env_bool("SMS_ASCII", True)
# Delivery: attempts before a notification is "failed" (shown to staff, resendable); the first retry waits
# NOTIFY_RETRY_SECONDS, each next one five times longer (1, 5, 25, 125 minutes by default).
NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "5"))
NOTIFY_RETRY_SECONDS = int(os.environ.get("NOTIFY_RETRY_SECONDS", "60"))
# Who hears of an altered or lost stored file (dossiers.integrity: an IntegrityAlert, shown in the admin, is also
# mailed to these addresses and to the agency's address): comma-separated emails. Trial mode: the demo
# administrator's, written under var/mail/ like every trial email.
ADMINS = [("", address) for address in env_list("MOTCUA_ADMIN_EMAILS", "quantri@demo.motcua.vn" if DEMO_MODE else "")]
# The heads of every dossier's event chain are sealed (signed and timestamped Merkle root, dossiers.seals) when
# the latest seal is older than this many hours; `motcua serve` checks every MOTCUA_SEAL_CHECK_MINUTES.
MOTCUA_SEAL_EVERY_HOURS = float(os.environ.get("MOTCUA_SEAL_EVERY_HOURS", "24"))
MOTCUA_SEAL_CHECK_MINUTES = float(os.environ.get("MOTCUA_SEAL_CHECK_MINUTES", "10"))
# Background tasks (Django's tasks API, the django-tasks backport): the database backend by default, worked
# by `motcua db_worker`; notifications have their own queue so that a backlog elsewhere never delays them.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "notifications"],
    }
}

# --- payments: the payment gateway ---------------------------------------------------------------------------
# sandbox (default: MotCua's own test gateway, no real money) or vnpay (VNPAY 2.1.0); see docs/payments.md
PAYMENT_GATEWAY = os.environ.get("PAYMENT_GATEWAY", "sandbox").strip().lower()
PAYMENT_TMN_CODE = os.environ.get("PAYMENT_TMN_CODE", "")  # merchant (terminal) code from the gateway contract
PAYMENT_HASH_SECRET = os.environ.get("PAYMENT_HASH_SECRET", "")  # signing secret (the sandbox has a dev default)
PAYMENT_URL = os.environ.get("PAYMENT_URL", "")  # the gateway's payment page (vnpay: its sandbox by default)
PAYMENT_EXPIRE_MINUTES = int(os.environ.get("PAYMENT_EXPIRE_MINUTES", "15"))  # time to pay at the gateway
# Bank transfer by VietQR (payments/vietqr.py): the collecting account printed in the QR code of the slip and the
# dossier page — the bank's 6-digit NAPAS BIN (970415: VietinBank), the account number and its holder's name.
# The defaults are a demo account; an empty account shows no QR code.
MOTCUA_VIETQR_BANK_BIN = os.environ.get("MOTCUA_VIETQR_BANK_BIN", "970415").strip()
MOTCUA_VIETQR_ACCOUNT = os.environ.get("MOTCUA_VIETQR_ACCOUNT", "113366668888").strip()
MOTCUA_VIETQR_ACCOUNT_NAME = os.environ.get("MOTCUA_VIETQR_ACCOUNT_NAME", "") or "TRUNG TAM PHUC VU HANH CHINH CONG"
# The e-receipt's legal fields (Decree 123/2020/ND-CP Art. 32, Circular 78/2021/TT-BTC Art. 6): the receipt form
# symbol — 1 digit for the kind (1: fee and charge receipts), "BLP" with the kind of fee and the number of the
# form, e.g. 01BLP0-001 — and the receipt series: 2 letters, the year's last 2 digits and E for an e-receipt.
MOTCUA_RECEIPT_FORM = os.environ.get("MOTCUA_RECEIPT_FORM", "") or "01BLP0-001"
MOTCUA_RECEIPT_SERIES = os.environ.get("MOTCUA_RECEIPT_SERIES", "") or "AB-26E"
# the gateway's refund API (vnpay: its sandbox merchant web API by default; the sandbox gateway answers itself)
PAYMENT_REFUND_URL = os.environ.get("MOTCUA_PAYMENT_REFUND_URL", "")

# --- postal: the carrier that takes results sent by post (Vietnam Post's order shape; docs/postal.md) -----------
# Its API (default: the carrier simulator `motcua carrier_sim`, which `motcua serve` starts in demo mode), the
# token it gave us (sent as the h-token header), our customer code with it, and the secret its webhooks are signed
# with (HMAC-SHA256). The defaults are the simulator's: set real ones in production.
MOTCUA_CARRIER_URL = os.environ.get("MOTCUA_CARRIER_URL", "http://127.0.0.1:8020").rstrip("/")
MOTCUA_CARRIER_TOKEN = os.environ.get("MOTCUA_CARRIER_TOKEN", "motcua-sim-token")
MOTCUA_CARRIER_CUSTOMER_CODE = os.environ.get("MOTCUA_CARRIER_CUSTOMER_CODE", "MOTCUA")
MOTCUA_CARRIER_WEBHOOK_SECRET = os.environ.get("MOTCUA_CARRIER_WEBHOOK_SECRET", "motcua-sim-webhook-secret")
# Seconds to wait for the carrier's answer; a webhook whose X-Timestamp is further than this from now is refused.
MOTCUA_CARRIER_TIMEOUT = float(os.environ.get("MOTCUA_CARRIER_TIMEOUT", "5"))
MOTCUA_CARRIER_WEBHOOK_WINDOW = int(os.environ.get("MOTCUA_CARRIER_WEBHOOK_WINDOW", "300"))
# Placing an order the carrier did not take (down, timed out): tried again after MOTCUA_CARRIER_RETRY_SECONDS,
# each next wait three times longer, at most MOTCUA_CARRIER_MAX_ATTEMPTS times; then staff see it failed.
MOTCUA_CARRIER_RETRY_SECONDS = int(os.environ.get("MOTCUA_CARRIER_RETRY_SECONDS", "30"))
MOTCUA_CARRIER_MAX_ATTEMPTS = int(os.environ.get("MOTCUA_CARRIER_MAX_ATTEMPTS", "6"))
# The postage of one result sent by post (VND), shown and recorded on the shipment.
MOTCUA_POSTAGE = int(os.environ.get("MOTCUA_POSTAGE", "22000"))
# Polling fallback: shipments not final and without news for this many minutes are asked about
# (`motcua poll_shipments`; `motcua serve` runs it every MOTCUA_SHIPMENT_POLL_MINUTES).
MOTCUA_SHIPMENT_POLL_MINUTES = float(os.environ.get("MOTCUA_SHIPMENT_POLL_MINUTES", "30"))

# --- Statistics and supervision (motcua.stats) -----------------------------------------------------------------
# Who refreshes the reporting facts after an event (stats.services): "immediate" — the action's own request, after
# its commit (any process without a follower: runserver, the tests); "follow" — the follower process
# (`motcua refresh_stats --follow`), which catches up with the event log every MOTCUA_STATS_FOLLOW_SECONDS, so that
# actions pay nothing for the figures. `motcua serve` starts the follower and sets "follow" for its web processes.
MOTCUA_STATS_REFRESH = os.environ.get("MOTCUA_STATS_REFRESH", "immediate").strip().lower()
if MOTCUA_STATS_REFRESH not in ("immediate", "follow"):
    raise ImproperlyConfigured("MOTCUA_STATS_REFRESH must be 'immediate' or 'follow'")
MOTCUA_STATS_FOLLOW_SECONDS = float(os.environ.get("MOTCUA_STATS_FOLLOW_SECONDS", "2"))
# The catch-up reads again this many events before its cursor: an event numbered before another but committed
# after it is not passed over.
MOTCUA_STATS_RECHECK_EVENTS = int(os.environ.get("MOTCUA_STATS_RECHECK_EVENTS", "1000"))
# `motcua serve` checks the leaders' digests every MOTCUA_DIGEST_CHECK_MINUTES.
MOTCUA_DIGEST_CHECK_MINUTES = float(os.environ.get("MOTCUA_DIGEST_CHECK_MINUTES", "10"))
# The leaders' digests: daily at this local hour (working days), weekly on Monday at the same hour.
MOTCUA_DIGEST_HOUR = int(os.environ.get("MOTCUA_DIGEST_HOUR", "7"))
# The index's sources of issue 14 that exist in this installation ("portal", "population"): until then their
# rows say "no data yet".
MOTCUA_STATS_SOURCES = env_list("MOTCUA_STATS_SOURCES", "")

# --- Content Security Policy (django-csp), on every page ---------------------------------------------------------
# Every script is a file served from this host (no inline script, no handler attribute, no eval; a page that really
# needs an inline <script> gives it nonce="{{ CSP_NONCE }}"); styles come from this host too, with inline style
# attributes allowed (the vendored Swagger UI and the admin set some; CSS cannot run code). Forms post to this host
# only, and to the payment gateway's page when a real gateway is configured (its redirect is a form action).
_FORM_ACTION = [SELF]
if PAYMENT_GATEWAY == "vnpay":
    _gateway = urlsplit(PAYMENT_URL or "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html")
    _FORM_ACTION.append(f"{_gateway.scheme}://{_gateway.netloc}")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": _FORM_ACTION,
    },
}

# --- feedback -------------------------------------------------------------------------------------------------
# one counter survey per browser and counter in this many seconds, and at most FEEDBACK_COUNTER_ADDRESS_LIMIT per
# network address (citizens share a center's Wi-Fi) and counter in that time (shared cache: set REDIS_URL with
# several web processes); the address is motcua.core.web.client_ip's (MOTCUA_TRUSTED_PROXIES)
FEEDBACK_COUNTER_THROTTLE_SECONDS = int(os.environ.get("MOTCUA_FEEDBACK_THROTTLE_SECONDS", "600"))
FEEDBACK_COUNTER_ADDRESS_LIMIT = int(os.environ.get("MOTCUA_FEEDBACK_ADDRESS_LIMIT", "30"))

# --- public tracking by dossier code: look-ups per client address per minute (the page and the API) ------------
MOTCUA_TRACK_LIMIT_PER_MINUTE = int(os.environ.get("MOTCUA_TRACK_LIMIT_PER_MINUTE", "30"))

# --- the virtual assistant (docs/assistant.md) ---------------------------------------------------------------
# how often each process checks whether the catalogue changed (then rebuilds its search index); questions asked per
# client address per minute (the page and the API); the hotline offered when it has no answer (empty: the
# provincial service center's); an optional OpenAI-compatible language model that only rephrases the summary of an
# answer citing its procedure code (off when the URL is empty; `motcua llm_sim` is a local stand-in)
MOTCUA_ASSISTANT_INDEX_CHECK_SECONDS = float(os.environ.get("MOTCUA_ASSISTANT_INDEX_CHECK_SECONDS", "10"))
MOTCUA_ASSISTANT_LIMIT_PER_MINUTE = int(os.environ.get("MOTCUA_ASSISTANT_LIMIT_PER_MINUTE", "60"))
# each web worker builds the assistant's index in a background thread as it starts (motcua.config.wsgi)
MOTCUA_ASSISTANT_WARM_UP = env_bool("MOTCUA_ASSISTANT_WARM_UP", True)
MOTCUA_ASSISTANT_HOTLINE = os.environ.get("MOTCUA_ASSISTANT_HOTLINE", "")
MOTCUA_ASSISTANT_LLM_URL = os.environ.get("MOTCUA_ASSISTANT_LLM_URL", "")
MOTCUA_ASSISTANT_LLM_MODEL = os.environ.get("MOTCUA_ASSISTANT_LLM_MODEL", "motcua-rephrase")
MOTCUA_ASSISTANT_LLM_KEY = os.environ.get("MOTCUA_ASSISTANT_LLM_KEY", "")
MOTCUA_ASSISTANT_LLM_TIMEOUT = float(os.environ.get("MOTCUA_ASSISTANT_LLM_TIMEOUT", "3"))

# --- signing: digital signatures (PAdES), the trust anchors and the demo PKI (README "Digital signatures") -------
# Where `load_demo` writes the demo PKI (keys as PKCS#12 files, the trust root, certomancer's configuration) and
# from where `motcua pki_serve` serves its OCSP responder, CRLs and timestamp authority.
MOTCUA_PKI_DIR = Path(os.environ.get("MOTCUA_PKI_DIR", DATA_DIR / "pki")).resolve()
# The address of that server (written into the demo certificates' CRL and OCSP links).
MOTCUA_PKI_URL = os.environ.get("MOTCUA_PKI_URL", "http://127.0.0.1:8010").rstrip("/")
# The RFC 3161 timestamp authority every signature asks for its time (B-T).
MOTCUA_TSA_URL = os.environ.get("MOTCUA_TSA_URL", "") or f"{MOTCUA_PKI_URL}/motcua/tsa/tsa"
# Trusted root certificates (PEM files, comma-separated): the national root CA in production; the demo root with
# MOTCUA_DEMO when unset.
MOTCUA_TRUST_ROOTS = env_list("MOTCUA_TRUST_ROOTS", "") or (
    [str(MOTCUA_PKI_DIR / "root.pem")] if DEMO_MODE else [])
# PINs of the unattended seals, from the environment only (never the database): the agencies' seals, and the
# system's own seal (slips, e-receipts, the daily seal of the audit chain), which defaults to the former.
_DEMO_PIN = "123456" if DEMO_MODE else ""  # noqa: S105 - the demo PKI's PIN, printed on screen on purpose
MOTCUA_SEAL_PIN = os.environ.get("MOTCUA_SEAL_PIN", _DEMO_PIN)
MOTCUA_SYSTEM_SEAL_PIN = os.environ.get("MOTCUA_SYSTEM_SEAL_PIN", "") or MOTCUA_SEAL_PIN
# Seconds a signer's validated certificate (chain and revocation) is trusted before it is checked again.
MOTCUA_SIGNING_CHECK_SECONDS = int(os.environ.get("MOTCUA_SIGNING_CHECK_SECONDS", "60"))
# Seconds to wait for a timestamp authority, an OCSP responder or a CRL.
MOTCUA_SIGNING_TIMEOUT = float(os.environ.get("MOTCUA_SIGNING_TIMEOUT", "10"))
# Keys on devices and remote services (motcua.signing.backends): the PKCS#11 library of the signing tokens or HSM
# when an identity's reference names none (SoftHSM2 in the tests), ...
MOTCUA_PKCS11_MODULE = os.environ.get("MOTCUA_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")
# ... and the seconds a remote signing service (Cloud Signature Consortium API) has to answer one request.
MOTCUA_CSC_TIMEOUT_SECONDS = int(os.environ.get("MOTCUA_CSC_TIMEOUT_SECONDS", "30"))

# --- integrations: the outbox and the outside systems (docs/interconnection.md) --------------------------------
# The outbox worker (`motcua deliver_outbox --follow`, run by `motcua serve`) claims up to a batch per system with a
# lease of MOTCUA_OUTBOX_LEASE_SECONDS (a worker that dies leaves it to run out), retries a failure after
# MOTCUA_OUTBOX_RETRY_SECONDS, each next wait twice longer (at most an hour), and gives up after
# MOTCUA_OUTBOX_MAX_ATTEMPTS (administrators see it and send it again); with nothing due it waits
# MOTCUA_OUTBOX_FOLLOW_SECONDS.
MOTCUA_OUTBOX_LEASE_SECONDS = float(os.environ.get("MOTCUA_OUTBOX_LEASE_SECONDS", "60"))
MOTCUA_OUTBOX_RETRY_SECONDS = float(os.environ.get("MOTCUA_OUTBOX_RETRY_SECONDS", "10"))
MOTCUA_OUTBOX_MAX_ATTEMPTS = int(os.environ.get("MOTCUA_OUTBOX_MAX_ATTEMPTS", "10"))
MOTCUA_OUTBOX_FOLLOW_SECONDS = float(os.environ.get("MOTCUA_OUTBOX_FOLLOW_SECONDS", "0.5"))
# The national public service portal (DVCQG): its API through the gateway (OAuth2 client credentials). Default: the
# portal simulator (`motcua portal_sim`), which `motcua serve` starts in demo mode. Empty URL: no sync.
MOTCUA_DVCQG_URL = os.environ.get("MOTCUA_DVCQG_URL", "http://127.0.0.1:8030" if DEMO_MODE else "").rstrip("/")
MOTCUA_DVCQG_CLIENT_ID = os.environ.get("MOTCUA_DVCQG_CLIENT_ID", "motcua-sim")
MOTCUA_DVCQG_CLIENT_SECRET = os.environ.get("MOTCUA_DVCQG_CLIENT_SECRET", "motcua-sim-secret")
MOTCUA_DVCQG_TIMEOUT = float(os.environ.get("MOTCUA_DVCQG_TIMEOUT", "10"))
# With a portal to sync to, the index's "synced" rows have a source: the portal and the citizens' document store.
if MOTCUA_DVCQG_URL and "MOTCUA_STATS_SOURCES" not in os.environ:
    MOTCUA_STATS_SOURCES = [*MOTCUA_STATS_SOURCES, "portal", "store"]
# The national population database (identity checks and prefill). Default: the population simulator
# (`motcua population_sim`), started by `motcua serve` in demo mode. Empty URL: no checks.
MOTCUA_POPULATION_URL = os.environ.get("MOTCUA_POPULATION_URL",
                                       "http://127.0.0.1:8040" if DEMO_MODE else "").rstrip("/")
MOTCUA_POPULATION_CLIENT_ID = os.environ.get("MOTCUA_POPULATION_CLIENT_ID", "motcua-sim")
MOTCUA_POPULATION_CLIENT_SECRET = os.environ.get("MOTCUA_POPULATION_CLIENT_SECRET", "motcua-sim-secret")
MOTCUA_POPULATION_TIMEOUT = float(os.environ.get("MOTCUA_POPULATION_TIMEOUT", "5"))
# Sign-up look-ups of the population database allowed per client address and hour (each verifies a citizen ID, a
# name and a date of birth: guessing someone else's costs one each).
MOTCUA_POPULATION_SIGNUP_CHECKS_PER_HOUR = int(os.environ.get("MOTCUA_POPULATION_SIGNUP_CHECKS_PER_HOUR", "10"))
# With the population database connected, the index counts its rows (identity verified, population data used)
# unless MOTCUA_STATS_SOURCES says otherwise (docs/population.md).
if MOTCUA_POPULATION_URL and "MOTCUA_STATS_SOURCES" not in os.environ and "population" not in MOTCUA_STATS_SOURCES:
    MOTCUA_STATS_SOURCES = [*MOTCUA_STATS_SOURCES, "population"]
# Zalo, the citizens' messaging app (docs/zalo.md): the official account (OA) of the province sends notifications
# and receives feedback. Its Open API (messages) and OAuth server (access tokens from the refresh token, rotated at
# each refresh and kept in the database); the app's ID and secret key; the OA's ID and the OA secret key that signs
# the webhook's events (POST /zalo/webhook). Default in demo mode: the Zalo simulator (`motcua zalo_sim`), started by
# `motcua serve`. Without an app ID, Zalo is off (no QR code, no Zalo message).
_ZALO_SIM = "http://127.0.0.1:8050" if DEMO_MODE else ""
MOTCUA_ZALO_API_URL = os.environ.get("MOTCUA_ZALO_API_URL", _ZALO_SIM or "https://openapi.zalo.me").rstrip("/")
MOTCUA_ZALO_OAUTH_URL = os.environ.get(
    "MOTCUA_ZALO_OAUTH_URL", MOTCUA_ZALO_API_URL if DEMO_MODE else "https://oauth.zaloapp.com").rstrip("/")
MOTCUA_ZALO_APP_ID = os.environ.get("MOTCUA_ZALO_APP_ID", "motcua-sim-app" if DEMO_MODE else "")
MOTCUA_ZALO_SECRET_KEY = os.environ.get("MOTCUA_ZALO_SECRET_KEY", "motcua-sim-app-secret" if DEMO_MODE else "")
MOTCUA_ZALO_OA_ID = os.environ.get("MOTCUA_ZALO_OA_ID", "4318000000000000001" if DEMO_MODE else "")
MOTCUA_ZALO_REFRESH_TOKEN = os.environ.get("MOTCUA_ZALO_REFRESH_TOKEN", "motcua-sim-refresh" if DEMO_MODE else "")
MOTCUA_ZALO_OA_SECRET = os.environ.get("MOTCUA_ZALO_OA_SECRET", "motcua-sim-oa-secret" if DEMO_MODE else "")
MOTCUA_ZALO_TIMEOUT = float(os.environ.get("MOTCUA_ZALO_TIMEOUT", "10"))
# Where the QR codes lead (the OA's page in the Zalo app; in demo mode the simulator's page).
MOTCUA_ZALO_FOLLOW_URL = os.environ.get("MOTCUA_ZALO_FOLLOW_URL", "") or (
    f"{MOTCUA_ZALO_API_URL}/" if DEMO_MODE else f"https://zalo.me/{MOTCUA_ZALO_OA_ID}")
# Minutes a link code shown on the account page stays valid; the agency (identifier code) that receives feedback
# sent through Zalo without a dossier code (default: the first agency that receives petitions).
MOTCUA_ZALO_LINK_CODE_MINUTES = int(os.environ.get("MOTCUA_ZALO_LINK_CODE_MINUTES", "15"))
MOTCUA_ZALO_FEEDBACK_AGENCY = os.environ.get("MOTCUA_ZALO_FEEDBACK_AGENCY", "")
# This instance among the peers (other provinces' MotCua): its code (the province code by default), its private
# signing key (Ed25519, PEM; made under var/ by `motcua peer_keys` when missing) — peers know its public key.
MOTCUA_INSTANCE_CODE = os.environ.get("MOTCUA_INSTANCE_CODE", "")
MOTCUA_PEER_KEY_FILE = Path(os.environ.get("MOTCUA_PEER_KEY_FILE", "") or DATA_DIR / "peer_key.pem")
MOTCUA_PEER_TIMEOUT = float(os.environ.get("MOTCUA_PEER_TIMEOUT", "10"))
# Its name as peers show it (default "MotCua <code>"); the seconds a signed message's `created` may be off from now
# either way (older or newer: refused); the largest message received (dossier files travel inside, base64).
MOTCUA_INSTANCE_NAME = os.environ.get("MOTCUA_INSTANCE_NAME", "")
MOTCUA_PEER_WINDOW_SECONDS = float(os.environ.get("MOTCUA_PEER_WINDOW_SECONDS", "300"))
MOTCUA_PEER_MAX_BODY_MB = int(os.environ.get("MOTCUA_PEER_MAX_BODY_MB", "100"))

# --- queue tickets and appointments at the centers (counters app, docs/counters.md) -----------------------------
# The reminder SMS of an appointment goes MOTCUA_APPOINTMENT_REMINDER_HOURS before its slot; one booked closer than
# that is reminded MOTCUA_APPOINTMENT_SAME_DAY_REMINDER_HOURS before (and not at all when even that has passed).
MOTCUA_APPOINTMENT_REMINDER_HOURS = float(os.environ.get("MOTCUA_APPOINTMENT_REMINDER_HOURS", "24"))
MOTCUA_APPOINTMENT_SAME_DAY_REMINDER_HOURS = float(os.environ.get("MOTCUA_APPOINTMENT_SAME_DAY_REMINDER_HOURS", "2"))
# How far ahead a slot may be booked (days); how early before its slot an appointment checks in at the kiosk
# (minutes; late: until the end of its slot).
MOTCUA_APPOINTMENT_DAYS_AHEAD = int(os.environ.get("MOTCUA_APPOINTMENT_DAYS_AHEAD", "30"))
MOTCUA_APPOINTMENT_CHECKIN_EARLY_MINUTES = int(os.environ.get("MOTCUA_APPOINTMENT_CHECKIN_EARLY_MINUTES", "30"))
# Tickets and check-ins a kiosk's network address may take per minute (the kiosks of a center share one address).
MOTCUA_KIOSK_TICKETS_PER_MINUTE = int(os.environ.get("MOTCUA_KIOSK_TICKETS_PER_MINUTE", "60"))
