"""Configuration read from the environment."""
import os
import secrets
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY_FILE = ROOT / "instance" / "secret_key"


def _development_secret_key() -> str:
    """SECRET_KEY, else the key scripts/dev.sh wrote into instance/, else a random one for this process.

    Never a fixed value: a key shared by every checkout would let anyone forge a session.
    """
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    try:
        key = SECRET_KEY_FILE.read_text().strip()
    except OSError:
        key = ""
    return key or secrets.token_hex(32)


def _database_url(default: str | None) -> str | None:
    url = os.environ.get("DATABASE_URL", default)
    # Accept the common "postgres://" spelling and use the psycopg 3 driver.
    if url and url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url and url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    """Development defaults; every value can be set from the environment."""

    ENV_NAME = "development"
    SECRET_KEY = _development_secret_key()
    SQLALCHEMY_DATABASE_URI = _database_url(f"sqlite:///{ROOT / 'instance' / 'survey.db'}")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    # Public address printed into QR codes, e.g. https://wy.example.gov.cn
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ["zh_CN", "en"]
    # proxies, rate limits and transport (see docs/operations.md)
    # How many reverse proxies in front of the app append to X-Forwarded-For; 0 trusts none.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Shared by every worker and machine: redis://host:6379/0 in production.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True  # Retry-After on every 429
    RATELIMIT_STRATEGY = "moving-window"  # Retry-After counts from the oldest counted attempt
    # A storage that stops answering must not stop the survey: count in this worker until it is back.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "survey")
    # Failed code lookups (unknown or revoked codes) per client address; valid codes are not counted.
    CODE_FAILURE_RATE_LIMIT = os.environ.get("CODE_FAILURE_RATE_LIMIT", "20 per minute; 300 per day")
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    # Requests per API client (each client its own budget, shared by every worker through
    # RATELIMIT_STORAGE_URI); a client created with its own limit uses that instead.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600 per minute")
    HSTS_MAX_AGE = 0  # development is plain HTTP
    # uploads: a request body above MAX_CONTENT_LENGTH is refused with 413 before it is read; an
    # uploaded workbook (roster, questionnaire) is refused when larger than UPLOAD_MAX_BYTES, when
    # its parts would unpack to more than UPLOAD_MAX_UNZIPPED_BYTES, or when a sheet declares or
    # holds more rows or columns than the limits (domain/xlsx/reading.py). 100,000 households are
    # about 3 MB packed and 60 MB unpacked.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 16 * 1024 * 1024))
    UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", 12 * 1024 * 1024))
    UPLOAD_MAX_UNZIPPED_BYTES = int(os.environ.get("UPLOAD_MAX_UNZIPPED_BYTES", 300 * 1024 * 1024))
    UPLOAD_MAX_ROWS = int(os.environ.get("UPLOAD_MAX_ROWS", 210_000))
    UPLOAD_MAX_COLUMNS = int(os.environ.get("UPLOAD_MAX_COLUMNS", 60))
    # photos of rectification items (domain/rectification/photos.py): a JPEG or PNG by its content,
    # at most PHOTO_MAX_BYTES and PHOTO_MAX_PIXELS each, PHOTO_MAX_COUNT per upload (a form that
    # carries photos may be that many times PHOTO_MAX_BYTES, above MAX_CONTENT_LENGTH); stored
    # re-encoded, at most PHOTO_MAX_SIDE pixels a side, in PHOTO_FOLDER (empty: instance/photos).
    PHOTO_FOLDER = os.environ.get("PHOTO_FOLDER", "")
    PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_BYTES", 8 * 1024 * 1024))
    PHOTO_MAX_PIXELS = int(os.environ.get("PHOTO_MAX_PIXELS", 40_000_000))
    PHOTO_MAX_COUNT = int(os.environ.get("PHOTO_MAX_COUNT", 6))
    PHOTO_MAX_SIDE = int(os.environ.get("PHOTO_MAX_SIDE", 2000))
    # rectification (docs/rectification.md): days a company is given when an item is handed to it;
    # share of a compound's respondents naming a problem category that raises an item; days within
    # which a handed-over item counts as started "in time" in the loop's rates.
    RECTIFICATION_DEADLINE_DAYS = int(os.environ.get("RECTIFICATION_DEADLINE_DAYS", "30"))
    RECTIFICATION_CATEGORY_SHARE = float(os.environ.get("RECTIFICATION_CATEGORY_SHARE", "0.30"))
    RECTIFICATION_START_DAYS = int(os.environ.get("RECTIFICATION_START_DAYS", "7"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # sessions: staff sessions end after an idle time and an absolute lifetime (checked on every
    # request, security.py); a resident's survey session after a few hours (web/resident.py).
    STAFF_IDLE_MINUTES = int(os.environ.get("STAFF_IDLE_MINUTES", "60"))
    STAFF_SESSION_HOURS = int(os.environ.get("STAFF_SESSION_HOURS", "12"))
    RESIDENT_SESSION_HOURS = int(os.environ.get("RESIDENT_SESSION_HOURS", "3"))
    PERMANENT_SESSION_LIFETIME = RESIDENT_SESSION_HOURS * 3600  # the resident's cookie (seconds)
    # The resident's cookie is sent again only when its session changes (its hours count from the
    # scan, web/resident.py), not signed and sent anew with every survey page.
    SESSION_REFRESH_EACH_REQUEST = False
    # Failed logins per username, from any address (moderate: an attacker spraying one account from
    # many addresses locks it only for this window); LOGIN_RATE_LIMIT is per address and stricter.
    LOGIN_USER_RATE_LIMIT = os.environ.get("LOGIN_USER_RATE_LIMIT", "20 per 15 minutes")
    WTF_CSRF_TIME_LIMIT = None  # a survey may stay open on a phone for a long time
    # integrity (docs/integrity.md): signals kept with each response (hashed device cookie, network
    # prefix and user agent, times) are purged this many days after the campaign closes
    # (`flask integrity purge`); the detectors' thresholds follow.
    INTEGRITY_SIGNAL_DAYS = int(os.environ.get("INTEGRITY_SIGNAL_DAYS", "90"))
    # One device (cookie) answering for this many households holds them (for 2: a weak flag).
    INTEGRITY_DEVICE_HOUSEHOLDS = int(os.environ.get("INTEGRITY_DEVICE_HOUSEHOLDS", "3"))
    # This many households from one network prefix within so many minutes: a weak flag only.
    INTEGRITY_NETWORK_HOUSEHOLDS = int(os.environ.get("INTEGRITY_NETWORK_HOUSEHOLDS", "10"))
    INTEGRITY_NETWORK_MINUTES = float(os.environ.get("INTEGRITY_NETWORK_MINUTES", "60"))
    # A burst (weak): at least BURST_MIN answers of a compound within BURST_MINUTES and BURST_FACTOR
    # times the compound's usual rate over the campaign so far.
    INTEGRITY_BURST_MIN = int(os.environ.get("INTEGRITY_BURST_MIN", "8"))
    INTEGRITY_BURST_MINUTES = float(os.environ.get("INTEGRITY_BURST_MINUTES", "30"))
    INTEGRITY_BURST_FACTOR = float(os.environ.get("INTEGRITY_BURST_FACTOR", "10"))
    # Speeding (holds): a duration under this share of the questionnaire's median, once at least
    # SPEED_MIN_RESPONSES durations give a median.
    INTEGRITY_SPEED_SHARE = float(os.environ.get("INTEGRITY_SPEED_SHARE", "0.2"))
    INTEGRITY_SPEED_MIN_RESPONSES = int(os.environ.get("INTEGRITY_SPEED_MIN_RESPONSES", "20"))
    # Copied comments (hold): comments of COPIED_CHARS letters and digits or more from different
    # households, alike by COPIED_SIMILARITY (2 x characters in common / both lengths) or more, so many in
    # one company or compound that its share of the campaign's responses makes it no likelier than
    # COPIED_CHANCE.
    INTEGRITY_COPIED_CHARS = int(os.environ.get("INTEGRITY_COPIED_CHARS", "20"))
    INTEGRITY_COPIED_SIMILARITY = float(os.environ.get("INTEGRITY_COPIED_SIMILARITY", "0.8"))
    INTEGRITY_COPIED_CHANCE = float(os.environ.get("INTEGRITY_COPIED_CHANCE", "0.001"))
    # A grid worker's assisted answers (hold) once there are WORKER_MIN_ASSISTED of them and
    # WORKER_MIN_SELF self-answered ones in his compounds: means WORKER_SCORE_GAP points apart, and
    # all-alike answers WORKER_UNIFORM_GAP more often or a spread under WORKER_SPREAD_SHARE.
    INTEGRITY_WORKER_MIN_ASSISTED = int(os.environ.get("INTEGRITY_WORKER_MIN_ASSISTED", "8"))
    INTEGRITY_WORKER_MIN_SELF = int(os.environ.get("INTEGRITY_WORKER_MIN_SELF", "10"))
    INTEGRITY_WORKER_SCORE_GAP = float(os.environ.get("INTEGRITY_WORKER_SCORE_GAP", "10"))
    INTEGRITY_WORKER_UNIFORM_GAP = float(os.environ.get("INTEGRITY_WORKER_UNIFORM_GAP", "0.4"))
    INTEGRITY_WORKER_SPREAD_SHARE = float(os.environ.get("INTEGRITY_WORKER_SPREAD_SHARE", "0.5"))
    # A change from a new device moving the 0-100 index this many points (holds).
    INTEGRITY_CHANGE_SCORE_GAP = float(os.environ.get("INTEGRITY_CHANGE_SCORE_GAP", "30"))
    # A sequence (holds): SEQUENCE_MIN households' sessions from one network and user agent, each
    # opened within SEQUENCE_GAP_MINUTES of the previous submission, a chain no likelier by chance
    # than SEQUENCE_CHANCE given the other sessions from that network and agent at the time.
    INTEGRITY_SEQUENCE_MIN = int(os.environ.get("INTEGRITY_SEQUENCE_MIN", "5"))
    INTEGRITY_SEQUENCE_GAP_MINUTES = float(os.environ.get("INTEGRITY_SEQUENCE_GAP_MINUTES", "3"))
    INTEGRITY_SEQUENCE_CHANCE = float(os.environ.get("INTEGRITY_SEQUENCE_CHANCE", "0.001"))
    # jobs (survey_app/jobs, docs/operations.md "Jobs"): long work (label PDFs, large workbooks and
    # imports) runs in `flask jobs worker`. JOBS_URL empty: a SQLite queue file instance/jobs.db (no
    # extra server); redis://host:6379/1 in production with several machines. Job files go to
    # JOB_FILES_FOLDER (empty: instance/job-files; a folder every machine shares in production) and
    # are deleted with their job JOB_KEEP_HOURS after it was asked for (`flask jobs sweep`).
    JOBS_URL = os.environ.get("JOBS_URL", "")
    JOBS_IMMEDIATE = False  # run each job as soon as the request asking for it commits, and wait (tests)
    JOB_FILES_FOLDER = os.environ.get("JOB_FILES_FOLDER", "")
    JOB_KEEP_HOURS = float(os.environ.get("JOB_KEEP_HOURS", "72"))
    # Households in a selection or an area from which a label PDF or a workbook is made by a job,
    # and rows of an uploaded workbook from which an import runs as a job.
    JOB_LARGE_HOUSEHOLDS = int(os.environ.get("JOB_LARGE_HOUSEHOLDS", "1000"))
    JOB_LARGE_ROWS = int(os.environ.get("JOB_LARGE_ROWS", "5000"))
    DEVICE_COOKIE = "device"  # a random first-party id for the resident's browser (stored hashed)
    DEVICE_COOKIE_DAYS = 400


class TestConfig(Config):
    """Settings for the test suite (database URL is given by the fixtures)."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret"  # nosec B105  # the test suite's own key, never used to serve
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    PUBLIC_BASE_URL = "http://survey.test"
    # Photos a test stores go to a folder of this test process, never the checkout's instance/.
    PHOTO_FOLDER = str(Path(tempfile.gettempdir()) / f"survey-test-photos-{os.getpid()}")
    # Jobs run at once when the request asking for them commits (core job tests use a real worker).
    JOBS_IMMEDIATE = True
    JOB_FILES_FOLDER = str(Path(tempfile.gettempdir()) / f"survey-test-job-files-{os.getpid()}")


class ProductionConfig(Config):
    """Production: secrets and the database must come from the environment."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    HSTS_MAX_AGE = int(os.environ.get("HSTS_MAX_AGE", str(365 * 24 * 3600)))

    def __init__(self):
        missing = [k for k in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL") if not os.environ.get(k)]
        if missing:
            raise RuntimeError("production needs these environment variables: " + ", ".join(missing))
        self.SECRET_KEY = os.environ["SECRET_KEY"]
        self.SQLALCHEMY_DATABASE_URI = _database_url(None)
        self.PUBLIC_BASE_URL = os.environ["PUBLIC_BASE_URL"]


def config_from_env():
    """Pick the configuration named by APP_ENV (development by default)."""
    name = os.environ.get("APP_ENV", "development")
    if name == "production":
        return ProductionConfig()
    if name == "development":
        return Config()
    raise RuntimeError(f"unknown APP_ENV {name!r}; use development or production")
