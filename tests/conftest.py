"""Session set-up shared by every test: a sealed environment, certificates,
moto behind the loopback AWS front, and routing of AWS names to it.

At ``pytest_configure`` -- before any test module can import boto -- this
writes the test CA, a boto config file and empty AWS config files to a
session temp dir, points ``BOTO_CONFIG`` / ``AWS_CONFIG_FILE`` /
``AWS_SHARED_CREDENTIALS_FILE`` at them, sets the test credentials and
removes every variable through which the developer's own AWS or shim
settings (or a proxy) could leak in.  It also activates
``tests/support/route.py`` in this process, so nothing but loopback is
reachable from the tests; AWS names reach the front once ``aws_front`` runs.

Fixtures: ``test_certs``, ``wrong_host_certs``, ``untrusted_certs``,
``boto_config_path``, ``moto_server``, ``aws_front`` (session), ``front``
(the session front, cleared and reset per test), ``unique_bucket``
(factory), ``client_env`` (environment for subprocess clients).
"""
import logging
import os
import re
import shutil
import tempfile
import uuid

import pytest

from tests.support import route


class _Session(object):
    """Paths made at configure time (filled by :func:`pytest_configure`)."""

    directory = None
    certs = None
    boto_config = None
    aws_config = None
    aws_credentials = None


SESSION = _Session()

# Variables removed from os.environ: they would change what boto, botocore
# or the shim do, or send traffic somewhere.
_LEAKY_PREFIXES = ("AWS_", "BOTO_", "BOTO_SIGV4_SHIM_")
_LEAKY_NAMES = ("S3_USE_SIGV4", "EC2_USE_SIGV4", "SHIM_TEST_ROUTE",
                "http_proxy", "https_proxy", "all_proxy", "no_proxy",
                "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")

BOTO_CONFIG_TEXT = """[Boto]
ca_certificates_file = %(ca)s
num_retries = 2
metadata_service_num_attempts = 0
http_socket_timeout = 10
https_validate_certificates = True
"""


def _touch(path):
    with open(path, "w"):
        pass
    return path


def _seal_environment():
    from tests.support.front import TEST_ACCESS_KEY, TEST_SECRET_KEY
    for name in list(os.environ):
        if name.startswith(_LEAKY_PREFIXES) or name in _LEAKY_NAMES:
            del os.environ[name]
    os.environ.update(boto_environment())
    os.environ["AWS_ACCESS_KEY_ID"] = TEST_ACCESS_KEY
    os.environ["AWS_SECRET_ACCESS_KEY"] = TEST_SECRET_KEY


def boto_environment():
    """The variables pointing boto/botocore at the session's files."""
    return {"BOTO_CONFIG": SESSION.boto_config,
            "AWS_CONFIG_FILE": SESSION.aws_config,
            "AWS_SHARED_CREDENTIALS_FILE": SESSION.aws_credentials}


def pytest_configure(config):
    SESSION.directory = tempfile.mkdtemp(prefix="shim-tests-")
    SESSION.aws_config = _touch(os.path.join(SESSION.directory, "aws_config"))
    SESSION.aws_credentials = _touch(os.path.join(SESSION.directory,
                                                  "aws_credentials"))
    from tests.support import testca  # imports the package, not boto
    SESSION.certs = testca.make_certs(os.path.join(SESSION.directory,
                                                   "certs"))
    SESSION.boto_config = os.path.join(SESSION.directory, "boto.cfg")
    with open(SESSION.boto_config, "w") as handle:
        handle.write(BOTO_CONFIG_TEXT % {"ca": SESSION.certs.ca})
    _seal_environment()
    from tests.support.front import ROUTE_SUFFIXES
    # Until the front runs, AWS names lead nowhere (127.0.0.1:443); every
    # other name or address is refused from now on.
    route.activate({"suffixes": ROUTE_SUFFIXES, "ports": {}})


def pytest_unconfigure(config):
    if SESSION.directory:
        shutil.rmtree(SESSION.directory, ignore_errors=True)


# -- SHIM_SCAN_SECRETS=1: the whole run logs at DEBUG and is scanned ----------

class _SecretScan(logging.Handler):
    """Formats every record of the run; :func:`leaks` looks for secrets."""

    PATTERNS = (re.compile(r"Signature=[0-9a-f]{64}"),
                re.compile(r"\bAWS [A-Z0-9]{12,}:[A-Za-z0-9+/=]{20,}"))

    def __init__(self):
        logging.Handler.__init__(self, logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(message)s"))
        self.count = 0
        self.found = []

    @staticmethod
    def scanned(name):
        """boto 2 and the shim; botocore (the tests' reference signer) and
        the stand-ins log their own material."""
        return name in ("boto", "boto_sigv4_shim") or \
            name.startswith(("boto.", "boto_sigv4_shim."))

    def emit(self, record):
        if not self.scanned(record.name):
            return
        import boto_sigv4_shim
        if not boto_sigv4_shim.is_installed():
            return  # uninstalled: boto's own logging, as without the shim
        self.count += 1
        try:
            text = self.format(record)
        except Exception:
            return
        from tests.support.front import TEST_SECRET_KEY
        if TEST_SECRET_KEY in text or any(p.search(text)
                                          for p in self.PATTERNS):
            self.found.append(text[:300])


def pytest_sessionstart(session):
    if os.environ.get("SHIM_SCAN_SECRETS"):
        SESSION.scan = _SecretScan()
        root = logging.getLogger()
        root.addHandler(SESSION.scan)
        root.setLevel(logging.DEBUG)


def pytest_sessionfinish(session, exitstatus):
    scan = getattr(SESSION, "scan", None)
    if scan is None:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.ensure_newline()
    if scan.found:
        if reporter:
            reporter.write_line("SECRET SCAN: %d log record(s) carry a secret "
                                "key or signature:" % len(scan.found), red=True)
            for text in scan.found[:10]:
                reporter.write_line("  " + text)
        session.exitstatus = 1
    elif reporter:
        reporter.write_line("secret scan: %d DEBUG log records, no secret key "
                            "or signature in any" % scan.count)


@pytest.fixture(scope="session")
def test_certs():
    """:class:`tests.support.testca.CertFiles` the front serves."""
    return SESSION.certs


@pytest.fixture(scope="session")
def wrong_host_certs():
    """Same CA, certificate for wrong.example.test only."""
    from tests.support import testca
    return testca.make_wrong_host_cert(os.path.dirname(SESSION.certs.ca))


@pytest.fixture(scope="session")
def untrusted_certs():
    """All the AWS names, from a CA nobody trusts."""
    from tests.support import testca
    return testca.make_untrusted_certs(os.path.dirname(SESSION.certs.ca))


@pytest.fixture(scope="session")
def boto_config_path():
    return SESSION.boto_config


@pytest.fixture(scope="session")
def moto_server():
    from tests.support.moto_server import MotoServer
    server = MotoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def aws_front(moto_server):
    """The session's :class:`tests.support.front.AwsFront`, routed to."""
    from tests.support.front import AwsFront, ROUTE_SUFFIXES
    front = AwsFront(moto_server.url, SESSION.certs).start()
    route.activate(front.route_config())
    yield front
    route.activate({"suffixes": ROUTE_SUFFIXES, "ports": {}})
    front.stop()


@pytest.fixture
def front(aws_front):
    """The session front with an empty log and default settings."""
    aws_front.reset()
    aws_front.clear()
    yield aws_front
    aws_front.reset()


@pytest.fixture
def unique_bucket():
    """``unique_bucket(prefix="shim")`` -> a fresh lower-case bucket name."""
    def make(prefix="shim"):
        return ("%s-%s" % (prefix, uuid.uuid4().hex[:24])).lower()
    return make


@pytest.fixture
def client_env(tmp_path, aws_front):
    """The whole environment of a subprocess client (nothing inherited).

    HOME is ``tmp_path`` so no ~/.boto or ~/.aws of the developer is read.
    """
    from tests.support.front import TEST_ACCESS_KEY, TEST_SECRET_KEY
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "BOTO_CONFIG": SESSION.boto_config,
        "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
        "AWS_CONFIG_FILE": _touch(str(tmp_path / "aws_config")),
        "AWS_SHARED_CREDENTIALS_FILE": _touch(str(tmp_path /
                                                  "aws_credentials")),
        route.ENV_VAR: aws_front.route_json(),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }
