"""A loopback stand-in for the AWS front door, in front of moto.

:class:`AwsFront` listens on 127.0.0.1 twice -- plain HTTP and TLS with the
test CA's all-names certificate -- and behaves as real S3 and EC2 do where
boto 2 code can tell the difference: it refuses Signature Version 2, verifies
every SigV4 signature (header and presigned-URL forms) with botocore as the
reference signer, enforces that the credential scope names the region of the
host (and, for S3, of the bucket, with the same errors, redirects and headers
as S3), and checks the clock.  What it accepts goes to moto unchanged (Host
preserved: moto dispatches on it) and moto's answer comes back unchanged.

Every request is logged in :attr:`AwsFront.requests` as a
:class:`RequestRecord`, so tests can assert what was sent, how it was signed
and what the client was told.

Host names decide the service: S3 (``s3.amazonaws.com``, regional, dash and
dual-stack forms, with or without a virtual-host bucket), the query services
(``ec2|autoscaling|elasticloadbalancing|monitoring|sts.<region>.<suffix>``,
``sts.amazonaws.com``), and anything that is not an AWS name (``minio.test``,
127.0.0.1) is an S3-compatible store: SigV4 is verified, path-style buckets
only, and the scope must name :attr:`AwsFront.custom_region`.
"""
import calendar
import datetime
import email.utils
import hashlib
import http.client
import http.server
import json
import re
import socket
import socketserver
import ssl
import sys
import threading
import time
import traceback
import uuid
from urllib.parse import quote, unquote, unquote_plus
from xml.sax.saxutils import escape

from botocore.auth import (S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth,
                           SigV4QueryAuth)
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

from boto_sigv4_shim.regions import PARTITIONS, partition_of

TEST_ACCESS_KEY = "AKIDSHIMTEST"
TEST_SECRET_KEY = "shimTestSecretKey/0123456789+abcdefghijklmnop"

# Names that route.py sends to the front in client processes.
ROUTE_SUFFIXES = tuple(sorted(set(p.dns_suffix for p in PARTITIONS))) + ("test",)

MAX_SKEW_SECONDS = 15 * 60
MAX_PRESIGN_EXPIRES = 604800
QUERY_SERVICES = ("ec2", "autoscaling", "elasticloadbalancing", "monitoring",
                  "sts")
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
SIGV4_TIME = "%Y%m%dT%H%M%SZ"
_HOP_BY_HOP = frozenset(["connection", "keep-alive", "proxy-connection",
                         "transfer-encoding", "te", "trailer", "upgrade",
                         "expect", "content-length"])

# --------------------------------------------------------------------------
# Host names
# --------------------------------------------------------------------------

_AWS_SUFFIXES = sorted(set(p.dns_suffix for p in PARTITIONS), key=len,
                       reverse=True)
_S3_GLOBAL = re.compile(r"\A(?:(?P<bucket>.+)\.)?s3(?:[.-]external-1)?\Z")
_S3_REGIONAL = re.compile(
    r"\A(?:(?P<bucket>.+)\.)?s3(?P<dualstack>\.dualstack)?[.-]"
    r"(?P<region>[a-z0-9-]+)\Z")
_QUERY_HOST = re.compile(r"\A(?P<service>%s)(?:\.(?P<region>[a-z0-9-]+))?\Z"
                         % "|".join(QUERY_SERVICES))


class Target(object):
    """What a Host header names.

    ``kind``: ``"s3"`` (an AWS S3 endpoint), ``"query"`` (EC2 and the other
    query services) or ``"custom"`` (an S3-compatible store).  ``endpoint``:
    ``"global"`` (s3.amazonaws.com), ``"regional"`` or ``"custom"``.
    ``region`` is the region the endpoint serves (None for custom stores),
    ``bucket`` the virtual-host bucket, if any.
    """

    def __init__(self, host, kind, service, endpoint, region=None,
                 bucket=None):
        self.host = host
        self.kind = kind
        self.service = service
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket

    @property
    def is_s3(self):
        return self.kind in ("s3", "custom")

    def __repr__(self):
        return "Target(%r, %s/%s, region=%r, bucket=%r)" % (
            self.host, self.kind, self.endpoint, self.region, self.bucket)


def host_name(host_header):
    """Lower-case host name of a Host header: no port, no trailing dot."""
    host = (host_header or "").strip().lower()
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")


def _region_for_suffix(region, suffix):
    partition = partition_of(region)
    return partition is not None and partition.dns_suffix == suffix


def classify_host(host_header):
    """The :class:`Target` of a Host header; None for an unknown AWS name."""
    host = host_name(host_header)
    suffix = next((s for s in _AWS_SUFFIXES
                   if host == s or host.endswith("." + s)), None)
    if suffix is None:
        return Target(host, "custom", "s3", "custom")
    name = host[:-len(suffix) - 1] if host != suffix else ""
    if suffix == "amazonaws.com":
        match = _S3_GLOBAL.match(name)
        if match:
            return Target(host, "s3", "s3", "global", "us-east-1",
                          match.group("bucket"))
    match = _S3_REGIONAL.match(name)
    if match and _region_for_suffix(match.group("region"), suffix):
        return Target(host, "s3", "s3", "regional", match.group("region"),
                      match.group("bucket"))
    match = _QUERY_HOST.match(name)
    if match:
        region = match.group("region")
        if region is None and suffix == "amazonaws.com":
            region = "us-east-1"  # sts.amazonaws.com, ec2.amazonaws.com
        if region and _region_for_suffix(region, suffix):
            return Target(host, "query", match.group("service"), "regional",
                          region)
    return None


def s3_endpoint(bucket, region):
    """What a 301 PermanentRedirect names as the bucket's endpoint."""
    suffix = partition_of(region).dns_suffix
    if "." in bucket:
        return "s3.%s.%s" % (region, suffix)
    return "%s.s3.%s.%s" % (bucket, region, suffix)


# --------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------

def parse_pairs(text, plus_is_space=False):
    """``a=1&b&c=%20`` -> [("a", "1"), ("b", ""), ("c", " ")]."""
    decode = unquote_plus if plus_is_space else unquote
    pairs = []
    for item in text.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((decode(key), decode(value)))
    return pairs


class Incoming(object):
    """One HTTP request as the front received it."""

    def __init__(self, method, target, headers, body, listener, port):
        self.method = method
        self.target = target                   # raw request-target
        self.raw_path, _, self.raw_query = target.partition("?")
        self.headers = list(headers)           # [(name, value)], in order
        self.body = body
        self.listener = listener               # "http" or "https"
        self.port = port
        self.params = parse_pairs(self.raw_query)

    def header_values(self, name):
        name = name.lower()
        return [value for key, value in self.headers if key.lower() == name]

    def header(self, name, default=None):
        values = self.header_values(name)
        return values[0] if values else default

    def param(self, name, default=None):
        for key, value in self.params:
            if key == name:
                return value
        return default

    @property
    def host(self):
        return self.header("host", "")

    @property
    def path(self):
        return unquote(self.raw_path)

    def form(self):
        """Form-encoded body parameters (the query protocol's POST body)."""
        content_type = (self.header("content-type") or "").lower()
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return []
        return parse_pairs(self.body.decode("utf-8", "replace"),
                           plus_is_space=True)


class RequestRecord(object):
    """What the front saw and answered, for one request."""

    FIELDS = ("method", "host", "path", "query", "auth", "region", "service",
              "signed_headers", "access_key", "status", "error", "port",
              "listener", "headers", "bucket", "body_length",
              "response_headers")

    def __init__(self, **fields):
        for name in self.FIELDS:
            setattr(self, name, fields.get(name))

    def header(self, name, default=None):
        """A header of the request as received."""
        for key, value in self.headers or ():
            if key.lower() == name.lower():
                return value
        return default

    def response_header(self, name, default=None):
        """A header of the front's answer (Date and Server excepted)."""
        for key, value in self.response_headers or ():
            if key.lower() == name.lower():
                return value
        return default

    def as_dict(self):
        return dict((name, getattr(self, name)) for name in self.FIELDS)

    def __repr__(self):
        return ("<%s %s%s?%s %s scope=%s/%s -> %s %s via %s>"
                % (self.method, self.host, self.path, self.query, self.auth,
                   self.region, self.service, self.status, self.error or "",
                   self.listener))


# --------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------

class Auth(object):
    """How a request is authenticated, as parsed (not yet verified).

    ``kind``: ``sigv4``, ``sigv4-query``, ``sigv2``, ``sigv2-query`` or
    ``anonymous``.  ``problem`` is a message when the SigV4 fields are
    malformed.
    """

    def __init__(self, kind):
        self.kind = kind
        self.access_key = None
        self.date = None          # scope date, YYYYMMDD
        self.region = None
        self.service = None
        self.terminator = None
        self.signed_headers = []
        self.signature = None
        self.amz_date = None      # the request's time, YYYYMMDDTHHMMSSZ
        self.expires = None       # presigned only, text
        self.problem = None

    @property
    def is_sigv4(self):
        return self.kind in ("sigv4", "sigv4-query")

    def read_credential(self, credential):
        parts = (credential or "").split("/")
        if len(parts) != 5:
            self.problem = "credential"
            return
        (self.access_key, self.date, self.region, self.service,
         self.terminator) = parts


def _authorization_fields(value):
    """``Credential=..., SignedHeaders=..., Signature=...`` as a dict."""
    fields = {}
    for part in value.split(","):
        key, sep, item = part.strip().partition("=")
        if sep:
            fields[key.strip()] = item.strip()
    return fields


def _http_date_to_amz(value):
    try:
        parsed = email.utils.parsedate_tz(value)
        stamp = email.utils.mktime_tz(parsed)
    except (TypeError, ValueError, OverflowError):
        return None
    return time.strftime(SIGV4_TIME, time.gmtime(stamp))


def _sigv2_params(pairs):
    names = set(key for key, _ in pairs)
    return ("SignatureVersion" in names
            or ("AWSAccessKeyId" in names and "Signature" in names))


def parse_auth(request):
    """The :class:`Auth` of ``request``."""
    authorization = request.header("authorization")
    if authorization is not None:
        return _parse_authorization_header(request, authorization)
    names = set(key for key, _ in request.params)
    if "X-Amz-Algorithm" in names or "X-Amz-Credential" in names:
        return _parse_presigned(request)
    if _sigv2_params(request.params) or _sigv2_params(request.form()):
        return Auth("sigv2-query")
    return Auth("anonymous")


def _parse_authorization_header(request, authorization):
    scheme = authorization.strip().split(" ", 1)[0]
    if scheme != "AWS4-HMAC-SHA256":
        auth = Auth("sigv2")
        if not scheme.startswith("AWS"):
            auth.problem = "scheme"
        return auth
    auth = Auth("sigv4")
    fields = _authorization_fields(authorization.strip()[len(scheme):])
    if not all(k in fields for k in ("Credential", "SignedHeaders",
                                      "Signature")):
        auth.problem = "fields"
        return auth
    auth.read_credential(fields["Credential"])
    auth.signed_headers = [h for h in fields["SignedHeaders"].lower().split(";")
                           if h]
    auth.signature = fields["Signature"]
    auth.amz_date = request.header("x-amz-date")
    if auth.amz_date is None and request.header("date"):
        auth.amz_date = _http_date_to_amz(request.header("date"))
    return auth


def _parse_presigned(request):
    auth = Auth("sigv4-query")
    if request.param("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        auth.problem = "algorithm"
    auth.read_credential(request.param("X-Amz-Credential"))
    auth.signed_headers = [h for h in (request.param("X-Amz-SignedHeaders")
                                       or "").lower().split(";") if h]
    auth.signature = request.param("X-Amz-Signature")
    auth.amz_date = request.param("X-Amz-Date")
    auth.expires = request.param("X-Amz-Expires")
    if None in (auth.signature, auth.amz_date, auth.expires):
        auth.problem = auth.problem or "fields"
    return auth


def amz_time(amz_date):
    """Seconds since the epoch of a ``YYYYMMDDTHHMMSSZ`` stamp, or None."""
    try:
        parsed = datetime.datetime.strptime(amz_date or "", SIGV4_TIME)
    except ValueError:
        return None
    return calendar.timegm(parsed.timetuple())


class _ExactSignedHeaders(object):
    """Sign exactly the headers the client listed, as AWS does.

    botocore on its own leaves out some headers (User-Agent, Expect, ...);
    AWS accepts whatever list the client signed.
    """

    signed_names = ()

    def headers_to_sign(self, request):
        header_map = HTTPHeaders()
        for name in self.signed_names:
            for value in request.headers.get_all(name) or [""]:
                header_map[name] = value
        return header_map


class _S3Header(_ExactSignedHeaders, S3SigV4Auth):
    pass


class _S3Query(_ExactSignedHeaders, S3SigV4QueryAuth):
    pass


class _QueryHeader(_ExactSignedHeaders, SigV4Auth):
    pass


class _QueryPresigned(_ExactSignedHeaders, SigV4QueryAuth):
    pass


def _canonical_query(request, auth):
    pairs = [(key, value) for key, value in request.params
             if not (auth.kind == "sigv4-query" and key == "X-Amz-Signature")]
    return "&".join("%s=%s" % (quote(key, safe="-_.~"),
                               quote(value, safe="-_.~"))
                    for key, value in pairs)


def expected_signature(request, auth, secret, s3):
    """(canonical request, string to sign, signature) AWS would compute."""
    if s3:
        # S3 does not normalise the path; it URI-encodes each character once.
        path = quote(unquote(request.raw_path), safe="/~")
        signer_class = _S3Query if auth.kind == "sigv4-query" else _S3Header
    else:
        path = request.raw_path  # botocore normalises and encodes again
        signer_class = (_QueryPresigned if auth.kind == "sigv4-query"
                        else _QueryHeader)
    query = _canonical_query(request, auth)
    url = "https://%s%s%s" % (request.host, path, "?" + query if query else "")
    aws_request = AWSRequest(method=request.method, url=url,
                             data=request.body)
    headers = HTTPHeaders()
    for name in auth.signed_headers:
        for value in request.header_values(name):
            headers[name] = value
    aws_request.headers = headers
    aws_request.context["timestamp"] = auth.amz_date
    signer = signer_class(Credentials(auth.access_key, secret), auth.service,
                          auth.region)
    signer.signed_names = auth.signed_headers
    canonical = signer.canonical_request(aws_request)
    string_to_sign = signer.string_to_sign(aws_request, canonical)
    return canonical, string_to_sign, signer.signature(string_to_sign,
                                                      aws_request)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

class Reject(object):
    """An error answer: status, AWS error code, message, extra XML elements."""

    def __init__(self, status, code, message, extra=(), headers=()):
        self.status = status
        self.code = code
        self.message = message
        self.extra = list(extra)
        self.headers = list(headers)

    def __repr__(self):
        return "Reject(%d, %r, %r)" % (self.status, self.code, self.message)


def _request_id():
    return uuid.uuid4().hex[:16].upper()


def s3_error_xml(reject):
    extra = "".join("<%s>%s</%s>" % (tag, escape(str(value)), tag)
                    for tag, value in reject.extra)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
            "<Message>%s</Message>%s<RequestId>%s</RequestId>"
            "<HostId>%s</HostId></Error>"
            % (reject.code, escape(reject.message), extra, _request_id(),
               uuid.uuid4().hex)).encode("utf-8")


def ec2_error_xml(reject):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            "<Code>%s</Code><Message>%s</Message></Error></Errors>"
            "<RequestID>%s</RequestID></Response>"
            % (reject.code, escape(reject.message), uuid.uuid4())
            ).encode("utf-8")


def query_error_xml(reject):
    """The query protocol's error shape (STS, ELB, Auto Scaling, CloudWatch)."""
    return ("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code>"
            "<Message>%s</Message></Error><RequestId>%s</RequestId>"
            "</ErrorResponse>"
            % (reject.code, escape(reject.message), uuid.uuid4())
            ).encode("utf-8")


S3_SIGV2_MESSAGE = ("The authorization mechanism you have provided is not "
                    "supported. Please use AWS4-HMAC-SHA256.")
QUERY_BAD_CREDENTIALS = ("AWS was not able to validate the provided access "
                         "credentials")
S3_BAD_SIGNATURE = ("The request signature we calculated does not match the "
                    "signature you provided. Check your key and signing "
                    "method.")
QUERY_BAD_SIGNATURE = ("The request signature we calculated does not match "
                       "the signature you provided. Check your AWS Secret "
                       "Access Key and signing method. Consult the service "
                       "documentation for details.")
REDIRECT_MESSAGE = ("The bucket you are attempting to access must be "
                    "addressed using the specified endpoint. Please send all "
                    "future requests to this endpoint.")


def wrong_region(auth, signed, expected, bucket_region=None):
    """S3's answer to a scope naming the wrong region."""
    if auth.kind == "sigv4-query":
        code = "AuthorizationQueryParametersError"
        message = ("Error parsing the X-Amz-Credential parameter; the region "
                   "'%s' is wrong; expecting '%s'" % (signed, expected))
    else:
        code = "AuthorizationHeaderMalformed"
        message = ("The authorization header is malformed; the region '%s' "
                   "is wrong; expecting '%s'" % (signed, expected))
    headers = [("x-amz-bucket-region", bucket_region)] if bucket_region else []
    return Reject(400, code, message, [("Region", expected)], headers)


def permanent_redirect(bucket, region):
    return Reject(301, "PermanentRedirect", REDIRECT_MESSAGE,
                  [("Endpoint", s3_endpoint(bucket, region)),
                   ("Bucket", bucket)],
                  [("x-amz-bucket-region", region)])


def illegal_location(constraint):
    what = constraint if constraint else "unspecified"
    return Reject(400, "IllegalLocationConstraintException",
                  "The %s location constraint is incompatible for the region "
                  "specific endpoint this request was sent to." % what)


# --------------------------------------------------------------------------
# S3 bucket rules (one small function per case)
# --------------------------------------------------------------------------

_LOCATION_ALIASES = {"": "us-east-1", "US": "us-east-1", "EU": "eu-west-1"}


def location_constraint(body):
    """The raw LocationConstraint of a CreateBucket body ('' when absent)."""
    match = re.search(br"<LocationConstraint>\s*([^<]*?)\s*</LocationConstraint>",
                      body or b"")
    return match.group(1).decode("utf-8") if match else ""


def bucket_and_key(target, request):
    """(bucket, key) of an S3 request, virtual-host or path style."""
    path = request.path
    if target.bucket:
        return target.bucket, path[1:]
    bucket, _, key = path[1:].partition("/")
    return (bucket or None), key


def is_create_bucket(request, bucket, key):
    subresources = [k for k, _ in request.params
                    if not k.lower().startswith("x-amz-")]
    return (request.method == "PUT" and bool(bucket) and not key
            and not subresources)


def is_delete_bucket(request, bucket, key):
    return (request.method == "DELETE" and bool(bucket) and not key
            and not request.params)


def create_bucket_rule(target, auth, constraint):
    """(c) scope vs endpoint, (d) constraint vs regional endpoint, (e) ok."""
    signed = auth.region
    if signed is not None and signed != target.region:
        return wrong_region(auth, signed, target.region)
    if target.endpoint == "regional":
        wanted = _LOCATION_ALIASES.get(constraint, constraint)
        if target.region != "us-east-1" and not constraint:
            return illegal_location(constraint)
        if constraint and wanted != target.region:
            return illegal_location(constraint)
    return None


def global_vhost_rule(auth, bucket_region, send_header):
    """(a) bucket.s3.amazonaws.com: DNS leads to the bucket's region."""
    signed = auth.region
    if signed is None or signed == bucket_region:
        return None
    return wrong_region(auth, signed, bucket_region,
                        bucket_region if send_header else None)


def global_path_rule(auth, bucket, bucket_region):
    """(b) s3.amazonaws.com/bucket for a bucket elsewhere: redirect."""
    signed = auth.region
    if signed not in (None, "us-east-1", bucket_region):
        return wrong_region(auth, signed, "us-east-1")
    return permanent_redirect(bucket, bucket_region)


def other_region_rule(target, auth, bucket, bucket_region, send_header):
    """(b)/(c) a regional endpoint that is not the bucket's region."""
    signed = auth.region
    if signed is not None and signed != target.region:
        return wrong_region(auth, signed, target.region,
                            bucket_region if send_header else None)
    return permanent_redirect(bucket, bucket_region)


def endpoint_region_rule(target, auth, bucket_region, send_header):
    """The scope must name the endpoint's region."""
    signed = auth.region
    if signed is None or signed == target.region:
        return None
    return wrong_region(auth, signed, target.region,
                        bucket_region if send_header else None)


def s3_region_rules(front, target, request, auth):
    """Region checks of an AWS S3 request, before it reaches moto."""
    bucket, key = bucket_and_key(target, request)
    if is_create_bucket(request, bucket, key):
        return create_bucket_rule(target, auth,
                                  location_constraint(request.body))
    known = front.bucket_regions.get(bucket) if bucket else None
    # Real S3 always answers a HEAD with x-amz-bucket-region (there is no
    # body to carry <Region>); only bodies may come without the header.
    send = front.send_region_header or request.method == "HEAD"
    if known and known != target.region:
        if target.endpoint == "global" and target.bucket:
            return global_vhost_rule(auth, known, send)
        if target.endpoint == "global":
            return global_path_rule(auth, bucket, known)
        return other_region_rule(target, auth, bucket, known, send)
    return endpoint_region_rule(target, auth, known, send)


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------

class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections

    def log_message(self, format, *args):  # noqa: A002 -- base signature
        pass

    def _any(self):
        self.server.front._serve(self)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any
    do_OPTIONS = do_PATCH = _any


class _Listener(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """One listening socket on 127.0.0.1; TLS handshakes run per thread."""

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, front, name, tls):
        self.front = front
        self.name = name
        self.tls = tls
        self.connections = set()
        self.lock = threading.Lock()
        http.server.HTTPServer.__init__(self, ("127.0.0.1", 0), _Handler)

    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"  # no reverse lookup
        self.server_port = self.server_address[1]

    def finish_request(self, request, client_address):
        connection = request
        if self.tls:
            request.settimeout(10)
            try:
                connection = self.front.ssl_context.wrap_socket(
                    request, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                self.front.tls_errors.append(repr(exc))
                return
        with self.lock:
            self.connections.add(connection)
        try:
            _Handler(connection, client_address, self)
        finally:
            with self.lock:
                self.connections.discard(connection)
            if self.tls:
                connection.close()

    def close_connections(self):
        with self.lock:
            connections = list(self.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _read_chunked(stream):
    body = []
    while True:
        line = stream.readline(65537)
        size = int(line.split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while stream.readline(65537) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(body)
        body.append(stream.read(size))
        stream.readline(65537)


def _read_body(handler):
    encoding = (handler.headers.get("Transfer-Encoding") or "").lower()
    if "chunked" in encoding:
        return _read_chunked(handler.rfile)
    length = handler.headers.get("Content-Length")
    if length:
        return handler.rfile.read(int(length))
    return b""


class Response(object):
    def __init__(self, status, headers, body, reason=None):
        self.status = status
        self.headers = list(headers)
        self.body = body
        self.reason = reason

    def header(self, name, default=None):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return default


def error_code(body):
    match = re.search(br"<Code>([^<]+)</Code>", body or b"")
    return match.group(1).decode("utf-8", "replace") if match else None


class AwsFront(object):
    """The loopback AWS front door.  See the module docstring.

    ``upstream_url`` is moto's base URL, ``certs`` a
    :class:`tests.support.testca.CertFiles`, ``credentials`` a mapping of
    access key id -> secret (default: the test pair).
    """

    def __init__(self, upstream_url, certs, credentials=None):
        match = re.match(r"\Ahttp://([^:/]+):(\d+)/?\Z", upstream_url)
        if not match:
            raise ValueError("upstream must be http://host:port, not %r"
                             % (upstream_url,))
        self.upstream = (match.group(1), int(match.group(2)))
        self.credentials = dict(credentials or {TEST_ACCESS_KEY:
                                                TEST_SECRET_KEY})
        self.certs = certs
        self._default_context = self._context(certs)
        self.ssl_context = self._default_context
        self.requests = []
        self.bucket_regions = {}
        self.tls_errors = []
        self.errors = []          # tracebacks of the front's own failures
        self.last_failure = None  # details of the last signature mismatch
        self._lock = threading.Lock()
        self._listeners = []
        self._threads = []
        self.reset()

    # ---- settings -----------------------------------------------------

    def reset(self):
        """Default behaviour: the settings tests may change.

        ``clock_offset``: seconds added to the front's clock (Date header,
        skew and expiry checks).  A request signed more than 15 minutes off
        it gets S3's 403 RequestTimeTooSkewed (with ServerTime; a HEAD gets
        a bare 403), EC2's 400 RequestExpired, or for the other query
        services 403 SignatureDoesNotMatch "Signature expired: ..." /
        "Signature not yet current: ..." as AWS sends them.  ``custom_region``: the signing region of
        non-AWS hosts.  ``send_region_header``: whether 400 region errors
        with a body carry ``x-amz-bucket-region`` (HEAD answers always do;
        301 redirects always do).  ``allow_anonymous``: let unsigned S3
        requests through to moto instead of 403 AccessDenied.
        """
        self.clock_offset = 0
        self.custom_region = "us-east-1"
        self.send_region_header = True
        self.allow_anonymous = False
        self.ssl_context = self._default_context

    @staticmethod
    def _context(certs):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certs.cert_chain, certs.key)
        return context

    def use_certs(self, certs):
        """Serve ``certs`` on TLS from now on (:meth:`reset` restores)."""
        self.ssl_context = self._context(certs)

    def clear(self):
        with self._lock:
            del self.requests[:]
            del self.tls_errors[:]
            self.last_failure = None

    def now(self):
        return time.time() + self.clock_offset

    # ---- lifecycle ----------------------------------------------------

    @property
    def http_port(self):
        return self._listeners[0].server_port

    @property
    def https_port(self):
        return self._listeners[1].server_port

    def route_config(self, suffixes=ROUTE_SUFFIXES):
        """The ``SHIM_TEST_ROUTE`` configuration for this front."""
        return {"suffixes": list(suffixes),
                "ports": {"443": self.https_port, "80": self.http_port}}

    def route_json(self, suffixes=ROUTE_SUFFIXES):
        return json.dumps(self.route_config(suffixes), sort_keys=True)

    def start(self):
        if self._listeners:
            return self
        self._listeners = [_Listener(self, "http", False),
                           _Listener(self, "https", True)]
        for listener in self._listeners:
            thread = threading.Thread(target=listener.serve_forever,
                                      kwargs={"poll_interval": 0.1},
                                      name="front-" + listener.name)
            thread.daemon = True
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self):
        for listener in self._listeners:
            listener.shutdown()
            listener.server_close()
            listener.close_connections()
        for thread in self._threads:
            thread.join(5)
        self._listeners = []
        self._threads = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # ---- records --------------------------------------------------------

    def find(self, **fields):
        """Records whose attributes equal ``fields`` (e.g. ``method="PUT"``)."""
        with self._lock:
            records = list(self.requests)
        return [r for r in records
                if all(getattr(r, k) == v for k, v in fields.items())]

    def _record(self, record):
        with self._lock:
            self.requests.append(record)

    # ---- serving --------------------------------------------------------

    def _serve(self, handler):
        request = Incoming(handler.command, handler.path,
                           handler.headers.items(), _read_body(handler),
                           handler.server.name, handler.server.server_port)
        record = RequestRecord(
            method=request.method, host=request.host,
            path=request.raw_path, query=request.raw_query,
            port=request.port, listener=request.listener,
            headers=request.headers, body_length=len(request.body),
            auth="anonymous")
        try:
            response = self._respond(request, record)
        except Exception:  # noqa: BLE001 -- report, answer 500
            text = traceback.format_exc()
            self.errors.append(text)
            sys.stderr.write("test front failed:\n" + text)
            response = Response(500, [("Content-Type", "application/xml")],
                                s3_error_xml(Reject(500, "InternalError",
                                                    text)))
        record.status = response.status
        record.response_headers = list(response.headers)
        if response.status >= 300:
            record.error = error_code(response.body) or str(response.status)
        self._record(record)
        self._write(handler, request, response)

    def _write(self, handler, request, response):
        handler.send_response_only(response.status, response.reason)
        handler.send_header("Date", email.utils.formatdate(self.now(),
                                                           usegmt=True))
        for name, value in response.headers:
            handler.send_header(name, value)
        no_body = (request.method == "HEAD"
                   or response.status in (204, 304))
        if response.header("content-length") is None and not (
                response.status in (204, 304)):
            handler.send_header("Content-Length", str(len(response.body)))
        handler.end_headers()
        if not no_body and response.body:
            handler.wfile.write(response.body)
        handler.wfile.flush()

    def _respond(self, request, record):
        target = classify_host(request.host)
        if target is None:
            return self._reject(Target(host_name(request.host), "s3", "s3",
                                       "unknown"), request,
                                Reject(400, "UnknownEndpoint",
                                       "test front: %r is no AWS endpoint "
                                       "(it would not resolve in DNS)"
                                       % request.host))
        auth = parse_auth(request)
        record.auth = auth.kind
        record.region = auth.region
        record.service = auth.service
        record.signed_headers = auth.signed_headers or None
        record.access_key = auth.access_key
        if target.is_s3:
            record.bucket = bucket_and_key(target, request)[0]
        for check in (self._check_sigv2, self._check_shape, self._check_time,
                      self._check_service, self._check_region,
                      self._check_anonymous, self._check_access_key,
                      self._check_headers, self._check_signature,
                      self._check_payload):
            reject = check(target, request, auth)
            if reject is not None:
                return self._reject(target, request, reject)
        response = self._forward(target, request)
        self._remember_bucket(target, request, response)
        return response

    def _reject(self, target, request, reject):
        if target.kind == "query" and target.service == "ec2":
            body, content_type = ec2_error_xml(reject), "text/xml;charset=UTF-8"
        elif target.kind == "query":
            body, content_type = query_error_xml(reject), "text/xml"
        else:
            body, content_type = s3_error_xml(reject), "application/xml"
        headers = [("Content-Type", content_type),
                   ("x-amz-request-id", _request_id())] + reject.headers
        if request.method == "HEAD":
            headers.append(("Content-Length", "0"))
            body = b""
        return Response(reject.status, headers, body)

    # ---- the checks, in AWS's order -------------------------------------

    def _check_sigv2(self, target, request, auth):
        if auth.kind not in ("sigv2", "sigv2-query"):
            return None
        if target.is_s3:
            return Reject(400, "InvalidRequest", S3_SIGV2_MESSAGE)
        return Reject(401, "AuthFailure", QUERY_BAD_CREDENTIALS)

    def _check_shape(self, target, request, auth):
        if not auth.is_sigv4 or (auth.problem is None
                                 and auth.terminator == "aws4_request"):
            return None
        if not target.is_s3:
            return Reject(400, "IncompleteSignature",
                          "Authorization header or query parameters are "
                          "malformed (%s)" % (auth.problem or "terminator"))
        if auth.kind == "sigv4-query":
            return Reject(400, "AuthorizationQueryParametersError",
                          "Query-string authentication version 4 requires "
                          "the X-Amz-Algorithm, X-Amz-Credential, "
                          "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, "
                          "and X-Amz-Expires parameters.")
        return Reject(400, "AuthorizationHeaderMalformed",
                      "The authorization header is malformed; the "
                      "Credential is mal-formed; expecting "
                      "\"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")

    def _check_time(self, target, request, auth):
        if not auth.is_sigv4:
            return None
        stamp = amz_time(auth.amz_date)
        now = self.now()
        server_time = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        if stamp is None:
            if target.is_s3:
                return Reject(403, "AccessDenied", "AWS authentication "
                              "requires a valid Date or x-amz-date header")
            return Reject(400, "IncompleteSignature",
                          "Authorization requires a valid X-Amz-Date")
        if auth.date != auth.amz_date[:8]:
            if target.is_s3:
                return Reject(400, "AuthorizationHeaderMalformed",
                              "The authorization header is malformed; "
                              "Invalid credential date. Date is not the "
                              "same as X-Amz-Date.")
            return Reject(403, "SignatureDoesNotMatch",
                          "Date in Credential scope does not match YYYYMMDD "
                          "from ISO-8601 version of date from HTTP: '%s' != "
                          "'%s'" % (auth.date, auth.amz_date[:8]))
        if auth.kind == "sigv4-query":
            return self._check_expiry(target, auth, stamp, now, server_time)
        if abs(stamp - now) <= MAX_SKEW_SECONDS:
            return None
        if target.is_s3:
            return Reject(403, "RequestTimeTooSkewed",
                          "The difference between the request time and the "
                          "current time is too large.",
                          [("RequestTime", auth.amz_date),
                           ("ServerTime", server_time),
                           ("MaxAllowedSkewMilliseconds", "900000")])
        if target.service == "ec2":
            return Reject(400, "RequestExpired", "Request has expired.")
        # The other query services (STS, ELB, Auto Scaling, CloudWatch) say
        # it with SignatureDoesNotMatch, the server's time in the message.
        server_amz = time.strftime(SIGV4_TIME, time.gmtime(now))
        limit = time.strftime(SIGV4_TIME, time.gmtime(
            now - MAX_SKEW_SECONDS if stamp < now else now + MAX_SKEW_SECONDS))
        if stamp < now:
            message = ("Signature expired: %s is now earlier than %s (%s - 15 "
                       "min.)" % (auth.amz_date, limit, server_amz))
        else:
            message = ("Signature not yet current: %s is still later than %s "
                       "(%s + 15 min.)" % (auth.amz_date, limit, server_amz))
        return Reject(403, "SignatureDoesNotMatch", message)

    def _check_expiry(self, target, auth, stamp, now, server_time):
        expires = auth.expires or ""
        if not expires.isdigit() or int(expires) > MAX_PRESIGN_EXPIRES:
            return Reject(400, "AuthorizationQueryParametersError",
                          "X-Amz-Expires must be less than a week (in "
                          "seconds) that is 604800 seconds")
        if stamp > now + MAX_SKEW_SECONDS:
            return Reject(403, "AccessDenied", "Request is not valid yet")
        if now > stamp + int(expires):
            expired_at = time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                       time.gmtime(stamp + int(expires)))
            return Reject(403, "AccessDenied", "Request has expired",
                          [("X-Amz-Expires", expires),
                           ("Expires", expired_at),
                           ("ServerTime", server_time)])
        return None

    def _check_service(self, target, request, auth):
        if not auth.is_sigv4 or auth.service == target.service:
            return None
        if target.is_s3:
            return Reject(400, "AuthorizationHeaderMalformed",
                          "The authorization header is malformed; incorrect "
                          "service '%s'. This endpoint belongs to 's3'."
                          % auth.service)
        return Reject(401, "AuthFailure",
                      "Credential should be scoped to correct service: "
                      "'%s'." % target.service)

    def _check_region(self, target, request, auth):
        if target.kind == "custom":
            if auth.is_sigv4 and auth.region != self.custom_region:
                return wrong_region(auth, auth.region, self.custom_region)
            return None
        if target.kind == "s3":
            return s3_region_rules(self, target, request, auth)
        if auth.is_sigv4 and auth.region != target.region:
            return Reject(401, "AuthFailure",
                          "Credential should be scoped to a valid region, "
                          "not '%s'." % auth.region)
        return None

    # STS actions real AWS takes without a signature (the token is the proof).
    UNSIGNED_STS_ACTIONS = ("AssumeRoleWithWebIdentity", "AssumeRoleWithSAML")

    def _check_anonymous(self, target, request, auth):
        if auth.kind != "anonymous" or (target.is_s3 and self.allow_anonymous):
            return None
        if target.service == "sts" and (
                dict(request.form()).get("Action") in self.UNSIGNED_STS_ACTIONS):
            return None
        if target.is_s3:
            return Reject(403, "AccessDenied", "Access Denied")
        return Reject(403, "MissingAuthenticationToken",
                      "Request is missing Authentication Token")

    def _check_access_key(self, target, request, auth):
        if not auth.is_sigv4 or auth.access_key in self.credentials:
            return None
        if target.is_s3:
            return Reject(403, "InvalidAccessKeyId",
                          "The AWS Access Key Id you provided does not exist "
                          "in our records.",
                          [("AWSAccessKeyId", auth.access_key)])
        return Reject(401, "AuthFailure", QUERY_BAD_CREDENTIALS)

    def _check_headers(self, target, request, auth):
        """Host must be signed; S3: x-amz-* too, and the payload hash sent."""
        if not auth.is_sigv4:
            return None
        signed = set(auth.signed_headers)
        if not target.is_s3:
            if "host" in signed:
                return None
            return Reject(403, "SignatureDoesNotMatch",
                          "'Host' must be a 'SignedHeader' in the AWS "
                          "Authorization.")
        if (auth.kind == "sigv4"
                and request.header("x-amz-content-sha256") is None):
            return Reject(400, "InvalidRequest", "Missing required header for "
                          "this request: x-amz-content-sha256")
        unsigned = sorted(set(
            name.lower() for name, _ in request.headers
            if name.lower().startswith("x-amz-") and name.lower() not in signed))
        if "host" not in signed:
            unsigned.insert(0, "host")
        if not unsigned:
            return None
        return Reject(403, "AccessDenied", "There were headers present in the "
                      "request which were not signed",
                      [("HeadersNotSigned", ", ".join(unsigned))])

    def _check_signature(self, target, request, auth):
        if not auth.is_sigv4:
            return None
        secret = self.credentials[auth.access_key]
        canonical, string_to_sign, signature = expected_signature(
            request, auth, secret, target.is_s3)
        if signature == auth.signature:
            return None
        self.last_failure = {
            "request": "%s %s %s" % (request.method, request.host,
                                     request.target),
            "canonical_request": canonical, "string_to_sign": string_to_sign,
            "expected": signature, "provided": auth.signature}
        if not target.is_s3:
            return Reject(403, "SignatureDoesNotMatch", QUERY_BAD_SIGNATURE)
        return Reject(403, "SignatureDoesNotMatch", S3_BAD_SIGNATURE,
                      [("AWSAccessKeyId", auth.access_key),
                       ("StringToSign", string_to_sign),
                       ("SignatureProvided", auth.signature),
                       ("CanonicalRequest", canonical)])

    def _check_payload(self, target, request, auth):
        claimed = request.header("x-amz-content-sha256")
        if (auth.kind != "sigv4" or not target.is_s3 or claimed is None
                or claimed == UNSIGNED_PAYLOAD):
            return None
        if claimed.startswith("STREAMING-"):
            return None  # aws-chunked (botocore's checksums): moto decodes it
        computed = hashlib.sha256(request.body).hexdigest()
        if claimed == computed:
            return None
        return Reject(400, "XAmzContentSHA256Mismatch",
                      "The provided 'x-amz-content-sha256' header does not "
                      "match what was computed.",
                      [("ClientComputedContentSHA256", claimed),
                       ("S3ComputedContentSHA256", computed)])

    # ---- moto -----------------------------------------------------------

    def _forward(self, target, request):
        """Send ``request`` to moto as is; return moto's answer."""
        host = request.host
        if target.kind == "custom":
            # moto knows S3 only by AWS names; custom stores are path-style.
            host = "s3.us-east-1.amazonaws.com"
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            connection.putrequest(request.method, request.target,
                                  skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", host)
            for name, value in request.headers:
                if name.lower() not in _HOP_BY_HOP and name.lower() != "host":
                    connection.putheader(name, value)
            if request.body or request.method in ("PUT", "POST", "PATCH"):
                connection.putheader("Content-Length", str(len(request.body)))
            connection.endheaders(request.body or None)
            upstream = connection.getresponse()
            body = upstream.read()
            headers = [(k, v) for k, v in upstream.getheaders()
                       if k.lower() not in _HOP_BY_HOP
                       and k.lower() not in ("date", "server")]
            if request.method == "HEAD" and upstream.getheader(
                    "content-length") is not None:
                headers.append(("Content-Length",
                                upstream.getheader("content-length")))
            headers.append(("Server", "AmazonS3" if target.is_s3
                            else "AmazonEC2"))
            return Response(upstream.status, headers, body, upstream.reason)
        finally:
            connection.close()

    def _remember_bucket(self, target, request, response):
        """Track bucket regions the way S3's own directory does."""
        if target.kind != "s3" or not 200 <= response.status < 300:
            return
        bucket, key = bucket_and_key(target, request)
        if is_create_bucket(request, bucket, key):
            constraint = location_constraint(request.body)
            self.bucket_regions[bucket] = _LOCATION_ALIASES.get(constraint,
                                                                constraint)
        elif is_delete_bucket(request, bucket, key):
            self.bucket_regions.pop(bucket, None)
