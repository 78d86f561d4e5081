"""s3rver (the npm package) on loopback: an S3 that is not moto, not botocore.

:class:`S3rverServer` runs ``node tests/support/s3rver/launch.js`` on
127.0.0.1 and a free port, with its own temporary directory, and stops it.
s3rver 3.7.1 checks the access key (``S3RVER``/``S3RVER`` by default), the
clock and presigned-URL expiry, but does not compute SigV4 signatures itself;
the launcher puts the AWS SDK for JavaScript v3's signer
(``@smithy/signature-v4``) in front of it to recompute every SigV4 signature
and check the credential scope's region (see ``launch.js``).  Each request
the launcher saw is in :attr:`S3rverServer.requests` as a dict (``method``,
``path``, ``query``, ``auth``, ``region``, ``verdict``, ``status``,
``signed_headers``).

The npm packages are pinned by ``tests/support/s3rver/package-lock.json``;
``node_modules`` is not committed: :func:`ensure_installed` runs ``npm ci``
once when it is missing.  When node or npm is missing or the install fails
(no registry), :class:`S3rverUnavailable` says why and the tests skip.
"""
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import uuid

try:
    import http.client as http_client
except ImportError:  # pragma: no cover
    import httplib as http_client

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "s3rver")
LAUNCHER = os.path.join(HERE, "launch.js")
ACCESS_KEY = "S3RVER"
SECRET_KEY = "S3RVER"
# What launch.js requires; a partial node_modules counts as missing.
_REQUIRED = ("s3rver", os.path.join("@smithy", "signature-v4"),
             os.path.join("@smithy", "hash-node"))
_install_lock = threading.Lock()
_install_failure = []


class S3rverUnavailable(Exception):
    """node/npm missing, or ``npm ci`` failed: the reason to skip."""


def _installed():
    return all(os.path.exists(os.path.join(HERE, "node_modules", name,
                                           "package.json"))
               for name in _REQUIRED)


def ensure_installed(timeout=300):
    """Install the pinned npm packages once if they are missing."""
    with _install_lock:
        if _install_failure:
            raise S3rverUnavailable(_install_failure[0])
        if shutil.which("node") is None:
            _install_failure.append("node is not installed")
            raise S3rverUnavailable(_install_failure[0])
        if _installed():
            return
        npm = shutil.which("npm")
        if npm is None:
            _install_failure.append("npm is not installed and %s/node_modules "
                                    "is missing" % HERE)
            raise S3rverUnavailable(_install_failure[0])
        try:
            proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund"],
                                  cwd=HERE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT,
                                  universal_newlines=True, timeout=timeout)
            failed = proc.returncode != 0 or not _installed()
            output = proc.stdout
        except (OSError, subprocess.TimeoutExpired) as error:
            failed, output = True, str(error)
        if failed:
            _install_failure.append(
                "npm ci in %s failed (offline?): %s"
                % (HERE, " ".join(output.strip().splitlines()[-3:])[:500]))
            raise S3rverUnavailable(_install_failure[0])


class S3rverServer(object):
    """One s3rver process; ``with S3rverServer() as server:`` or start/stop.

    ``region``: the only credential-scope region the verifier accepts.
    """

    def __init__(self, region="us-east-1", start_timeout=30):
        self.region = region
        self.start_timeout = start_timeout
        self.port = None
        self.directory = None
        self.requests = []
        self.stderr = []
        self._process = None
        self._lock = threading.Lock()
        self._sync_seen = threading.Condition(self._lock)
        self._synced = set()
        self._listening = threading.Event()
        self._reader = None

    @property
    def host(self):
        return "127.0.0.1"

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        if self._process is not None:
            return self
        ensure_installed()
        self.directory = tempfile.mkdtemp(prefix="shim-s3rver-")
        self._process = subprocess.Popen(
            ["node", LAUNCHER, "--directory", self.directory, "--port", "0",
             "--region", self.region],
            cwd=HERE, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, universal_newlines=True)
        self._reader = threading.Thread(target=self._read_stdout,
                                        name="s3rver-stdout")
        self._reader.daemon = True
        self._reader.start()
        errors = threading.Thread(target=self._read_stderr,
                                  name="s3rver-stderr")
        errors.daemon = True
        errors.start()
        deadline = time.time() + self.start_timeout
        while not self._listening.wait(0.05):
            if self._process.poll() is not None or time.time() > deadline:
                code = self._process.poll()
                self.stop()
                raise RuntimeError("s3rver did not start (exit %r): %s"
                                   % (code, "".join(self.stderr)[-2000:]))
        return self

    def _read_stdout(self):
        for line in self._process.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "listening":
                self.port = int(event["port"])
                self._listening.set()
            elif event.get("event") == "request":
                with self._lock:
                    self.requests.append(event)
            elif event.get("event") == "sync":
                with self._lock:
                    self._synced.add(event["token"])
                    self._sync_seen.notify_all()

    def _read_stderr(self):
        for line in self._process.stderr:
            self.stderr.append(line)

    def sync(self, timeout=10):
        """Wait until every request line written so far has been read.

        The launcher writes a request's line before s3rver answers it, but
        this process reads the pipe in a thread; a GET of
        ``/__shim_sync__/<token>`` puts a marker after those lines.
        """
        token = uuid.uuid4().hex
        connection = http_client.HTTPConnection("127.0.0.1", self.port,
                                                timeout=timeout)
        try:
            connection.request("GET", "/__shim_sync__/" + token)
            connection.getresponse().read()
        finally:
            connection.close()
        deadline = time.time() + timeout
        with self._lock:
            while token not in self._synced:
                left = deadline - time.time()
                if left <= 0:
                    raise RuntimeError("s3rver log did not catch up")
                self._sync_seen.wait(left)
            self._synced.discard(token)

    def clear(self):
        self.sync()
        with self._lock:
            del self.requests[:]

    def seen(self, *fields):
        """[(field, ...)] of every request so far, e.g. seen("auth", "verdict")."""
        self.sync()
        with self._lock:
            return [tuple(r.get(f) for f in fields) for r in self.requests]

    def stop(self):
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
            if self._reader is not None:
                self._reader.join(5)
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
