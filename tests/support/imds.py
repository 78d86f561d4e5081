"""Loopback stand-ins for credential endpoints: the EC2 instance metadata
service, and the pieces the container-credentials stand-in shares with it.

:class:`CredentialIssuer` hands out a new temporary key set at every fetch
(``ASIA...`` key id, secret, session token, expiry ``lifetime`` seconds
ahead), remembers when each expires and, given a ``registry`` mapping (the
front's ``credentials``), registers each key there so the AWS front accepts
its signatures.  :class:`ExpiringKeys` is a drop-in for the front's
``credentials`` mapping that refuses (and records) a key used after its
issuer said it expired.

:class:`ImdsServer` answers like IMDS on 127.0.0.1:

- ``PUT /latest/api/token`` with ``X-aws-ec2-metadata-token-ttl-seconds``
  gives a token (400 without the TTL header);
- ``GET /latest/meta-data/iam/security-credentials/`` names the role,
  ``.../<role>`` gives the JSON credentials;
- ``mode="v2"``: a GET without a valid token gets 401 (IMDSv2 required);
  ``mode="v1-allowed"``: tokens optional; ``mode="v1-only"``: the PUT is
  answered ``put_status`` (405 by default), as an old or proxied service.

Every request is recorded in :attr:`requests` as ``(method, path, token)``.
"""
import http.server
import json
import os
import socketserver
import threading
import time
import uuid

TOKEN_PATH = "/latest/api/token"
CREDS_PATH = "/latest/meta-data/iam/security-credentials/"


def iso(stamp):
    """ISO 8601 with milliseconds (valid for the SDKs; keeps the short
    lifetimes of the refresh tests exact)."""
    return "%s.%03dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp)),
                         int((stamp % 1) * 1000))


class CredentialIssuer(object):
    """A new set per call to :meth:`issue`; knows which are expired."""

    def __init__(self, lifetime=6 * 3600, registry=None, prefix="ASIASTANDIN"):
        self.lifetime = lifetime
        self.registry = registry
        self.prefix = prefix
        self.expiry = {}        # key id -> epoch seconds
        self.secrets = {}       # key id -> (secret, token)
        self._lock = threading.Lock()
        self._count = 0

    def issue(self):
        with self._lock:
            self._count += 1
            key = "%s%06d" % (self.prefix, self._count)
            secret = "sec/%s+%s" % (uuid.uuid4().hex, self._count)
            token = "tok%s%s" % (uuid.uuid4().hex, uuid.uuid4().hex)
            expires = time.time() + self.lifetime
            self.expiry[key] = expires
            self.secrets[key] = (secret, token)
            if self.registry is not None:
                self.registry[key] = secret
        return {"Code": "Success", "Type": "AWS-HMAC",
                "LastUpdated": iso(time.time()), "AccessKeyId": key,
                "SecretAccessKey": secret, "Token": token,
                "Expiration": iso(expires)}

    @property
    def issued(self):
        with self._lock:
            return len(self.expiry)

    def is_expired(self, key, now=None):
        expires = self.expiry.get(key)
        return expires is not None and (now or time.time()) >= expires


class ExpiringKeys(dict):
    """The front's ``credentials`` mapping, refusing expired issued keys.

    ``in`` is what the front asks first; an issued key past its expiry is
    reported as unknown (the front answers InvalidAccessKeyId / AuthFailure)
    and recorded in :attr:`expired_uses`.
    """

    def __init__(self, base, issuers):
        dict.__init__(self, base)
        self.issuers = list(issuers)
        self.expired_uses = []
        self.uses = []

    def __contains__(self, key):
        now = time.time()
        for issuer in self.issuers:
            if key in issuer.expiry:
                self.uses.append(key)
                if issuer.is_expired(key, now):
                    self.expired_uses.append((key, now))
                    return False
        return dict.__contains__(self, key)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002
        pass

    def _any(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        status, body, headers = self.server.stand_in.answer(self)
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _any


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]


class StandIn(object):
    """A threaded loopback HTTP server; subclasses implement :meth:`answer`."""

    def __init__(self):
        self.requests = []
        self._server = None
        self._thread = None

    def start(self):
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stand_in = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._server.server_port

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def answer(self, handler):
        raise NotImplementedError


class ImdsServer(StandIn):
    """The instance metadata service; see the module docstring."""

    def __init__(self, issuer, mode="v2", role="shim-test-role",
                 put_status=405):
        StandIn.__init__(self)
        if mode not in ("v2", "v1-allowed", "v1-only"):
            raise ValueError(mode)
        self.issuer = issuer
        self.mode = mode
        self.role = role
        self.put_status = put_status
        self.tokens = {}   # token -> expiry
        self._lock = threading.Lock()

    def answer(self, handler):
        path = handler.path.split("?")[0]
        token = handler.headers.get("X-aws-ec2-metadata-token")
        with self._lock:
            self.requests.append((handler.command, path, token))
        if path == TOKEN_PATH:
            return self._token(handler)
        if handler.command != "GET":
            return 405, "", []
        if self.mode == "v2" or token is not None:
            if not self._valid(token):
                return 401, "", []
        if path == CREDS_PATH:
            return 200, self.role, [("Content-Type", "text/plain")]
        if path == CREDS_PATH + self.role:
            return (200, json.dumps(self.issuer.issue()),
                    [("Content-Type", "application/json")])
        return 404, "", []

    def _token(self, handler):
        if self.mode == "v1-only":
            return self.put_status, "", []
        if handler.command != "PUT":
            return 405, "", []
        ttl = handler.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return 400, "", []
        token = "imds-token-" + uuid.uuid4().hex
        with self._lock:
            self.tokens[token] = time.time() + int(ttl)
        return (200, token, [("X-aws-ec2-metadata-token-ttl-seconds", ttl),
                             ("Content-Type", "text/plain")])

    def _valid(self, token):
        with self._lock:
            expires = self.tokens.get(token)
        return expires is not None and expires > time.time()

    def credential_fetches(self):
        return [r for r in self.requests
                if r[1].startswith(CREDS_PATH) and r[1] != CREDS_PATH]


def imds_env(server):
    """Environment pointing the SDK-standard override at ``server``."""
    return {"AWS_EC2_METADATA_SERVICE_ENDPOINT": server.url + "/",
            "AWS_METADATA_SERVICE_NUM_ATTEMPTS": "1",
            "AWS_METADATA_SERVICE_TIMEOUT": "1"}


def write_json(path, data):
    with open(path, "w") as handle:
        json.dump(data, handle)
    os.chmod(path, 0o600)
