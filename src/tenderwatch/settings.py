"""One settings module for every environment, driven by a few environment variables.

TW_ENV          "dev" (default) or "production"; production refuses the built-in secret key.
DATABASE_URL    e.g. postgres://user@127.0.0.1:5432/tenderwatch; default: SQLite under TW_VAR_DIR.
TW_VAR_DIR      where the embedded database, uploaded files and audit anchors live (default ./var).
SECRET_KEY      required in production.
ALLOWED_HOSTS   comma-separated.
TW_SESSION_IDLE_MINUTES  idle session timeout (default 30).
TW_HELPDESK     whom a locked-out user calls, shown on the lock-out page (e.g. "信息科 0713-…").
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env("TW_VAR_DIR", str(Path.cwd() / "var"))).resolve()

TW_ENV = env("TW_ENV", "dev")
DEBUG = env_bool("DEBUG", default=TW_ENV == "dev")
_DEV_SECRET = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", _DEV_SECRET if TW_ENV != "production" else "")
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when TW_ENV=production")
ALLOWED_HOSTS = [h for h in env("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in env("CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "tenderwatch.core",
    "tenderwatch.audit",
    "tenderwatch.org",
    "tenderwatch.workdays",
    "tenderwatch.approvals",
    "tenderwatch.notifications",
    "tenderwatch.letters",
    "tenderwatch.ledger",
    "tenderwatch.screening",
    "tenderwatch.complaints",
    "tenderwatch.generator",
    "tenderwatch.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "tenderwatch.core.middleware.LanguageMiddleware",  # zh-hans unless the user chose English
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenderwatch.core.middleware.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "tenderwatch.core.middleware.DomainErrorMiddleware",
    "tenderwatch.web.middleware.SessionExpiredNoticeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tenderwatch.urls"
WSGI_APPLICATION = "tenderwatch.wsgi.application"
AUTH_USER_MODEL = "org.User"

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
                "tenderwatch.web.context_processors.shell",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tenderwatch.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the database lock at BEGIN, so two workers appending to the audit chain queue
    # up instead of failing half-way with "database is locked"; WAL lets pages read meanwhile.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Idle timeout: each request renews the session; after TW_SESSION_IDLE_MINUTES without one,
# the user logs in again.
SESSION_COOKIE_AGE = env_int("TW_SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=TW_ENV == "production")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Lock-out after repeated failed logins (django-axes): by user name and client address.
AXES_FAILURE_LIMIT = env_int("TW_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("TW_LOGIN_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False
# Whom a locked-out user calls, shown on the lock-out page (e.g. "信息科 027-8888 0000").
TW_HELPDESK = env("TW_HELPDESK", "")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = (
    VAR_DIR / "files"
)  # outside the web root; files are served through views that check rights
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Where the audit chain's head hash is anchored outside the database (append-only JSON lines).
TW_AUDIT_ANCHOR_FILE = Path(env("TW_AUDIT_ANCHOR_FILE", str(VAR_DIR / "audit" / "anchors.jsonl")))

TW_DISTRICT = env("TW_DISTRICT", "huangzhou")

# -- screening (tenderwatch.screening) -------------------------------------------------------
# Screen a project as soon as its ledger state changes (a feed call, an import's batch); the
# collusion screens too. The office head's approval level that overdue warnings go up to.
# TW_SCREEN_HANDLING_WORKDAYS (working days to handle a warning, per severity) is a dict: set it
# in a settings module of your own.
TW_SCREEN_ON_CHANGE = env_bool("TW_SCREEN_ON_CHANGE", default=True)
TW_SCREEN_COLLUSION_ON_CHANGE = env_bool("TW_SCREEN_COLLUSION_ON_CHANGE", default=True)
TW_SCREEN_OFFICE_HEAD_LEVEL = env_int("TW_SCREEN_OFFICE_HEAD_LEVEL", 3)

# -- official letters (tenderwatch.letters) ------------------------------------------------
# The issuing organ's code in document numbers (default: the district's name without 区/县/市
# + 公管), and the LibreOffice binary for PDF copies (default: soffice or libreoffice on PATH).
TW_LETTERS_ORGAN_CODE = env("TW_LETTERS_ORGAN_CODE", "")
TW_LETTERS_SOFFICE = env("TW_LETTERS_SOFFICE", "")

# -- complaints and tip-offs (tenderwatch.complaints) -----------------------------------------
# Informant protection: SM4-GCM keys as "key-id:32 hex digits" pairs, comma-separated (a
# keyring: old ids stay readable after rotation), the id new records are sealed with, and the
# HMAC-SM3 key (hex, at least 32 digits) of the blind index and the tracking codes.
# The built-in DEMO values below are public and NOT FOR PRODUCTION: with DEBUG off they are
# refused, and tenderwatch does not start unless the three variables are set.
_DEMO_COMPLAINTS_KEYS = "demo-2026:de30de30de30de30de30de30de30de30"  # DEMO ONLY, public
_DEMO_COMPLAINTS_HMAC_KEY = "de30" * 16  # DEMO ONLY, public


def _keyring(value: str) -> dict[str, str]:
    ring: dict[str, str] = {}
    for item in (p.strip() for p in value.split(",")):
        if item:
            key_id, _sep, key = item.partition(":")
            ring[key_id.strip()] = key.strip()
    return ring


TW_COMPLAINTS_KEYRING = _keyring(env("TW_COMPLAINTS_KEYS", _DEMO_COMPLAINTS_KEYS if DEBUG else ""))
TW_COMPLAINTS_ACTIVE_KEY_ID = env(
    "TW_COMPLAINTS_ACTIVE_KEY_ID", next(iter(TW_COMPLAINTS_KEYRING), "")
)
TW_COMPLAINTS_HMAC_KEY = env("TW_COMPLAINTS_HMAC_KEY", _DEMO_COMPLAINTS_HMAC_KEY if DEBUG else "")
_uses_demo_keys = TW_COMPLAINTS_HMAC_KEY == _DEMO_COMPLAINTS_HMAC_KEY or bool(
    set(TW_COMPLAINTS_KEYRING.values()) & set(_keyring(_DEMO_COMPLAINTS_KEYS).values())
)
if not DEBUG and (not TW_COMPLAINTS_KEYRING or not TW_COMPLAINTS_HMAC_KEY or _uses_demo_keys):
    raise RuntimeError(
        "TW_COMPLAINTS_KEYS and TW_COMPLAINTS_HMAC_KEY must be set to your own keys when DEBUG is "
        "off (the built-in demo keys are public); see docs/guide/complaints.md"
    )
# The plan's tip-off acceptance period ("3日内") in "workdays" (default, by analogy with 行政处罚法
# 第八十五条) or "calendar" days; the plan's 10 working days to conclude counted from "receipt"
# (default, as the plan's sentence reads) or from "acceptance".
TW_COMPLAINTS_TIPOFF_DAY_TYPE = env("TW_COMPLAINTS_TIPOFF_DAY_TYPE", "workdays")
TW_COMPLAINTS_CONCLUSION_FROM = env("TW_COMPLAINTS_CONCLUSION_FROM", "receipt")
TW_COMPLAINTS_SUPPLEMENT_WORKDAYS = env_int("TW_COMPLAINTS_SUPPLEMENT_WORKDAYS", 5)
TW_COMPLAINTS_MAX_FILE_MB = env_int("TW_COMPLAINTS_MAX_FILE_MB", 20)
TW_COMPLAINTS_MAX_FILES = env_int("TW_COMPLAINTS_MAX_FILES", 10)
# Public filings per client address, "N/window" (s, m, h, d; "30/15m"): complaints/ratelimit.py.
TW_COMPLAINTS_FILING_RATE = env("TW_COMPLAINTS_FILING_RATE", "10/h")
# Leaders of the office at this approval level or above are "the office head": overdue matters
# are escalated to them and they alone see a tip-off informant's identity (3: 主要负责人).
TW_COMPLAINTS_OFFICE_HEAD_LEVEL = env_int("TW_COMPLAINTS_OFFICE_HEAD_LEVEL", 3)

# -- notifications (tenderwatch.notifications, docs/guide/notifications.md) ---------------------
# E-mail through Django's mail framework: the console in the demo (DEBUG), SMTP otherwise; SMS
# through the class TW_NOTIFY_SMS_BACKEND names (the console by default).
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)  # seconds; a dead server must not hang a request
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "tenderwatch@localhost")
TW_NOTIFY_SMS_BACKEND = env(
    "TW_NOTIFY_SMS_BACKEND", "tenderwatch.notifications.backends.ConsoleSMSBackend"
)
TW_NOTIFY_SITE_URL = env("TW_NOTIFY_SITE_URL", "")  # makes the links in staff e-mail absolute

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "tenderwatch": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
        "tenderwatch.audit.anchor": {
            "handlers": ["console"],
            "level": "INFO",
            "propagate": False,
        },
    },
}

SITE_TITLE = _("Public Resource Trading Supervision Platform")
