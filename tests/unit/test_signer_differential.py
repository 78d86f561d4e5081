"""Differential tests: the shimmed boto 2 signer against botocore's.

Every case builds a request through REAL boto 2 objects with the shim
installed -- an ``S3Connection`` (or ``EC2Connection``), its calling format's
``build_host`` / ``build_path_base`` / ``build_auth_path`` (keys quoted as boto
quotes them), ``conn.build_base_http_request(...)`` and
``req.authorize(connection=conn)``, which is what boto's ``_mexe`` does before
sending -- then rebuilds what would go on the wire (method,
``https://`` + Host header + ``req.path``, the headers as sent, the body bytes
http.client would send) as a botocore ``AWSRequest`` and asks botocore's
``S3SigV4Auth`` / ``SigV4Auth`` / ``S3SigV4QueryAuth`` for the canonical
request and signature, with the client's exact SignedHeaders.  Equal
canonical request and equal signature => pass.

The signed-header rule, tested on its own (``_assert_header_rule``): the shim
signs exactly the headers botocore's default rule would pick from the request
as it stood when it was signed -- every header botocore signs, except none --
and never User-Agent (nor Expect, Transfer-Encoding, X-Amzn-Trace-Id and
the hop-by-hop headers botocore also leaves out).

``make test`` runs a fixed-seed slice (derandomized hypothesis);
``make fuzz`` sets ``SHIM_FUZZ_EXAMPLES`` (e.g. 50000) for a long run.
botocore needs Python 3.9+; these tests run in the main interpreter only.
"""
import hashlib
import io
import os
import sys

import pytest

if sys.version_info < (3, 9):  # pragma: no cover - botocore needs 3.9+
    pytest.skip("botocore (the reference signer) needs Python 3.9+",
                allow_module_level=True)

from urllib.parse import quote, urlsplit  # noqa: E402

import hypothesis.strategies as st  # noqa: E402
from hypothesis import HealthCheck, example, given, settings  # noqa: E402

import boto_sigv4_shim  # noqa: E402
from boto_sigv4_shim import bucket_regions, regions, signer  # noqa: E402

boto_sigv4_shim.install()

import boto  # noqa: E402
import boto.ec2  # noqa: E402
import boto.utils  # noqa: E402
from boto.ec2.connection import EC2Connection  # noqa: E402
from boto.s3.connection import (OrdinaryCallingFormat, S3Connection,  # noqa: E402
                                SubdomainCallingFormat)
from botocore.auth import (S3SigV4Auth, S3SigV4QueryAuth,  # noqa: E402
                           SigV4Auth)
from botocore.awsrequest import AWSRequest, HTTPHeaders  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

ACCESS_KEY = "AKIDDIFFERENTIAL01"
SECRET_KEY = "differential/secret+key/0123456789abcdefghij"
TOKEN = "session-token/with+specials=="

FUZZ = int(os.environ.get("SHIM_FUZZ_EXAMPLES", "0") or 0)


def _examples(default):
    """The fixed-seed slice of ``make test``, or ``make fuzz``'s count."""
    return FUZZ or default


def _settings(default):
    return settings(max_examples=_examples(default), derandomize=not FUZZ,
                    deadline=None, database=None, print_blob=True,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture(autouse=True, scope="module")
def _installed():
    boto_sigv4_shim.install()
    yield


# -- botocore, signing exactly what the client listed -------------------------

class _Exact(object):
    """Sign exactly the client's SignedHeaders (AWS accepts any list)."""

    signed_names = ()

    def headers_to_sign(self, request):
        header_map = HTTPHeaders()
        for name in self.signed_names:
            for value in request.headers.get_all(name) or []:
                header_map[name] = value
        return header_map


class _S3Header(_Exact, S3SigV4Auth):
    pass


class _S3Query(_Exact, S3SigV4QueryAuth):
    pass


class _Query(_Exact, SigV4Auth):
    pass


def _auth_fields(value):
    assert value.startswith("AWS4-HMAC-SHA256 "), value
    fields = {}
    for part in value[len("AWS4-HMAC-SHA256 "):].split(", "):
        name, _, rest = part.partition("=")
        fields[name] = rest
    return fields


def _headers_as_sent(req_headers):
    """The header lines http.client puts on the wire, as an HTTPHeaders."""
    headers = HTTPHeaders()
    for name, value in req_headers.items():
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        headers[name] = str(value)
    return headers


def _body_as_sent(body):
    """The bytes http.client sends for ``body`` (str goes out as Latin-1)."""
    if body is None:
        return b""
    if hasattr(body, "read"):
        start = body.tell()
        data = body.read()
        body.seek(start)
        return data
    if isinstance(body, str):
        return body.encode("latin-1")  # http.client's own encoding
    return bytes(body)


def botocore_check(auth_class, service, method, url, headers, body, amz_date,
                   signed_names, region, token=None, content_sha=None):
    """(canonical request, string to sign, signature) botocore computes."""
    request = AWSRequest(method=method, url=url, data=body)
    request.headers = headers
    request.context["timestamp"] = amz_date
    if content_sha is not None:
        del request.headers["X-Amz-Content-SHA256"]
        request.headers["X-Amz-Content-SHA256"] = content_sha
    auth = auth_class(Credentials(ACCESS_KEY, SECRET_KEY, token), service,
                      region)
    auth.signed_names = signed_names
    creq = auth.canonical_request(request)
    sts = auth.string_to_sign(request, creq)
    return creq, sts, auth.signature(sts, request)


def botocore_default_names(default_class, url, headers):
    """The header names botocore's own rule would sign for these headers
    (its add_auth drops an Authorization header before it signs)."""
    request = AWSRequest(method="GET", url=url)
    request.headers = HTTPHeaders()
    for name, value in headers.items():
        if name.lower() != "authorization":
            request.headers[name] = value
    return sorted(set(default_class(Credentials(ACCESS_KEY, SECRET_KEY),
                                    "s3", "us-east-1")
                      .headers_to_sign(request).keys()))


class _Recorder(object):
    """Wraps a connection's handler: the request as it stood once signed,
    and the canonical request the shim built (via signer.canonical_request)."""

    def __init__(self, conn):
        self.conn = conn
        self.handler = conn._auth_handler
        self.headers_at_signing = None
        self.creqs = []

    def __enter__(self):
        original_add_auth = self.handler.add_auth
        original_creq = signer.canonical_request

        def add_auth(req, **kwargs):
            result = original_add_auth(req, **kwargs)
            self.headers_at_signing = _headers_as_sent(req.headers)
            return result

        def canonical_request(*args):
            self.creqs.append(original_creq(*args))
            return self.creqs[-1]

        self.handler.add_auth = add_auth
        signer.canonical_request = canonical_request
        self._restore = (original_creq,)
        return self

    def __exit__(self, *exc):
        del self.handler.add_auth
        signer.canonical_request = self._restore[0]


def _assert_header_rule(auth_fields, headers_at_signing, url, default_class):
    """Our SignedHeaders == botocore's default choice over the request as it
    stood when signed; never user-agent."""
    signed = auth_fields["SignedHeaders"].split(";")
    assert "user-agent" not in signed
    assert signed == sorted(signed)
    assert signed == botocore_default_names(default_class, url,
                                            headers_at_signing)


# -- strategies --------------------------------------------------------------

_ANY_CHAR = st.characters(blacklist_categories=("Cs",))
_FRAGMENTS = st.sampled_from([
    "/", "//", ".", "..", "/./", "/../", "+", "%", "%2e", "%2F", "%25", " ",
    "  ", "~", "?", "#", "&", "=", ";", ":", "@", "!", "*", "'", "(", ")",
    "$", ",", "[", "]", "\u00e9", "\u2603", "\U0001f600", "\x00", "\t",
    "\n", "\x7f", "a", "key", "-_.", "\u0130", "\ufeff",
])
KEYS = st.lists(_FRAGMENTS | st.text(_ANY_CHAR, max_size=6),
                max_size=8).map("".join)
DNS_BUCKETS = st.from_regex(r"\A[a-z0-9][a-z0-9-]{1,20}[a-z0-9]\Z")
BUCKETS = st.one_of(
    st.just(""),
    DNS_BUCKETS,
    st.sampled_from(["my.dotted.bucket", "b", "a..b", "192.168.1.1", "UPPER",
                     "under_score", "bucket-1", "x" * 63]),
)
_QUERY_TEXT = st.lists(_FRAGMENTS | st.text(_ANY_CHAR, max_size=4),
                       max_size=4).map("".join)
QUERY_NAMES = st.one_of(st.sampled_from(
    ["uploads", "uploadId", "partNumber", "acl", "prefix", "marker", "a", "A",
     "b", "versionId", "response-content-type", "x-id", "tagging", ""]),
    _QUERY_TEXT)


@st.composite
def query_args(draw):
    """A query string as boto code builds one: quoted pairs (repeated names,
    empty values, bare names), quoted with boto's ``quote`` variants."""
    pairs = draw(st.lists(st.tuples(QUERY_NAMES, st.one_of(
        st.none(), st.just(""), _QUERY_TEXT)), max_size=5))
    safe = draw(st.sampled_from(["", "/", "/=+", "~"]))
    parts = []
    for name, value in pairs:
        qname = quote(name.encode("utf-8"), safe=safe.replace("=", ""))
        if value is None:
            parts.append(qname)
        else:
            parts.append("%s=%s" % (qname, quote(value.encode("utf-8"),
                                                 safe=safe)))
    if draw(st.booleans()) and len(pairs) > 1:
        parts.insert(draw(st.integers(0, len(parts))), "")  # an empty part
    return "&".join(parts)


_HEADER_VALUE = st.one_of(
    st.text(_ANY_CHAR, max_size=12),
    st.lists(st.sampled_from([" ", "  ", "\t", "a", "b c", "\u00e9", "x  y",
                              "\u2603", ",", ";", "%", "%20"]),
             max_size=6).map("".join),
    # bytes go out unquoted: ASCII with tabs and obs-folds (http.client
    # allows CRLF + white space)
    st.lists(st.sampled_from(["a", " ", "\t", "\r\n ", "\r\n\t", "b c", "%",
                              "x"]), max_size=6)
    .map(lambda parts: "".join(parts).encode("ascii")),
)
_HEADER_NAMES = st.sampled_from([
    "Content-Type", "content-type", "Content-MD5", "Cache-Control",
    "x-amz-acl", "X-Amz-Acl", "x-amz-meta-a", "X-Amz-Meta-A", "x-amz-meta-b",
    "x-amz-meta-\u00fcml".encode("utf-8").decode("latin-1"),
    "x-amz-storage-class", "Expect", "Connection", "Transfer-Encoding",
    "X-Amzn-Trace-Id", "traceparent", "Proxy-Connection", "Content-Length",
    "x-amz-server-side-encryption", "If-Match", "Range", "Date",
    "x-amz-meta-Mixed", "X-AMZ-META-MIXED", "Content-Disposition",
])


@st.composite
def header_dicts(draw):
    headers = {}
    for name, value in draw(st.lists(st.tuples(_HEADER_NAMES, _HEADER_VALUE),
                                     max_size=6)):
        if name == "Content-Length":
            value = str(draw(st.integers(0, 10 ** 6)))
        if name == "Transfer-Encoding":
            value = "chunked"
        if isinstance(value, bytes) and name.lower() == "x-amz-content-sha256":
            continue
        headers[name] = value
    return headers


BODIES = st.one_of(
    st.just(""), st.just(b""),
    st.binary(max_size=300),
    st.text(st.characters(max_codepoint=0xff, blacklist_categories=("Cs",)),
            max_size=60),
    st.text(_ANY_CHAR, max_size=40),
    st.tuples(st.binary(max_size=300), st.integers(0, 300)).map(
        lambda t: ("file", t[0], min(t[1], len(t[0])))),
    st.sampled_from([("big", 3 * 65536 + 17)]),
)


def _make_body(spec):
    if isinstance(spec, tuple) and spec[0] == "file":
        handle = io.BytesIO(spec[1])
        handle.seek(spec[2])
        return handle
    if isinstance(spec, tuple) and spec[0] == "big":
        return io.BytesIO(os.urandom(16) * (spec[1] // 16))
    return spec


S3_HOSTS = st.sampled_from([
    # (host= argument, port, is_secure)
    (None, None, True),
    ("s3.amazonaws.com", None, True),
    ("s3.eu-central-1.amazonaws.com", None, True),
    ("s3.eu-central-1.amazonaws.com", 443, True),
    ("s3-ap-southeast-2.amazonaws.com", None, False),
    ("s3.cn-north-1.amazonaws.com.cn", None, True),
    ("s3.us-gov-west-1.amazonaws.com", 8443, True),
    ("minio.example.com", 9000, False),
    ("minio.example.com", 80, False),
    ("127.0.0.1", 8080, False),
    ("Store.Example.COM", 4443, True),
])


def _s3_connection(host, port, secure, ordinary, token):
    kwargs = dict(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
                  is_secure=secure,
                  calling_format=(OrdinaryCallingFormat() if ordinary
                                  else SubdomainCallingFormat()))
    if host is not None:
        kwargs["host"] = host
    if port is not None:
        kwargs["port"] = port
    if token:
        kwargs["security_token"] = token
    return S3Connection(**kwargs)


def build_s3_request(conn, method, bucket, key, query, headers, body):
    """boto's S3Connection.make_request, up to what _mexe sends."""
    fmt = conn.calling_format
    path = fmt.build_path_base(bucket, key)
    auth_path = fmt.build_auth_path(bucket, key)
    host = fmt.build_host(conn.server_name(), bucket)
    if query:
        path += "?" + query
        auth_path += "?" + query
    req = conn.build_base_http_request(method, path, auth_path, {}, headers,
                                       body, host)
    return req


def check_s3(host_arg, port, secure, ordinary, token, method, bucket, key,
             query, headers, body_spec, precomputed=False):
    conn = _s3_connection(host_arg, port, secure, ordinary, token)
    if not ordinary and bucket != bucket.lower():
        return None  # boto's SubdomainCallingFormat refuses it itself
    body = _make_body(body_spec)
    headers = dict(headers)
    # What should go out: text as UTF-8 (what the shim hashes), else as is.
    sent_body = body.encode("utf-8") if isinstance(body, str) else \
        _body_as_sent(body)
    if hasattr(body, "read"):
        # boto's callers size a file body themselves (HTTPRequest.authorize
        # takes len() of anything else)
        headers = dict((k, v) for k, v in headers.items()
                       if k.lower() != "content-length")
        headers["Content-Length"] = str(len(sent_body))
    if precomputed:
        headers["_sha256"] = hashlib.sha256(sent_body).hexdigest()
    req = build_s3_request(conn, method, bucket, key, query, headers, body)
    with _Recorder(conn) as rec:
        req.authorize(connection=conn)
    sent = _headers_as_sent(req.headers)
    body_bytes = _body_as_sent(req.body)
    assert body_bytes == sent_body
    host = sent["Host"]
    url = "https://" + host + req.path
    fields = _auth_fields(sent["Authorization"])
    scope = fields["Credential"].split("/", 1)[1]
    region = scope.split("/")[1]
    content_sha = sent["X-Amz-Content-SHA256"]
    # The payload hash sent is the body's (http.client sends req.body).
    assert content_sha == hashlib.sha256(body_bytes).hexdigest()
    names = fields["SignedHeaders"].split(";")
    creq, _sts, sig = botocore_check(
        _S3Header, "s3", method, url, sent, body_bytes, sent["X-Amz-Date"],
        names, region, token=token, content_sha=content_sha)
    assert rec.creqs[-1] == creq
    assert fields["Signature"] == sig
    _assert_header_rule(fields, rec.headers_at_signing, url, S3SigV4Auth)
    # The Host sent: lower-case, port only when it is not the default one,
    # and never twice (boto: "host:port:port", "host:443" on Python 3).
    assert host == host.lower()
    assert host.count(":") <= 1
    if (secure and conn.port == 443) or (not secure and conn.port == 80):
        assert ":" not in host
    else:
        assert host.endswith(":%d" % conn.port)
    # the path sent is the path signed, and decodes to boto's own path
    wire_path = urlsplit(url).path
    assert creq.split("\n")[1] == wire_path
    return creq


# -- S3, header-signed -------------------------------------------------------

@_settings(3000)
@given(where=S3_HOSTS, ordinary=st.booleans(),
       token=st.sampled_from([None, TOKEN]),
       method=st.sampled_from(["GET", "PUT", "POST", "DELETE", "HEAD"]),
       bucket=BUCKETS, key=KEYS, query=query_args(), headers=header_dicts(),
       body=BODIES, precomputed=st.booleans())
@example(where=("minio.example.com", 9000, False), ordinary=True, token=None,
         method="PUT", bucket="b", key="a//b/./../c d+e%f",
         query="uploadId=x&partNumber=1", headers={
             "x-amz-meta-A": "  lead  and   trail  ", "X-Amz-Meta-a": "\u00e9"},
         body=b"data", precomputed=False)
def test_s3_request_signs_as_botocore(where, ordinary, token, method, bucket,
                                      key, query, headers, body, precomputed):
    host_arg, port, secure = where
    check_s3(host_arg, port, secure, ordinary, token, method, bucket, key,
             query, headers, body, precomputed and isinstance(body, tuple))


# -- the known boto 2 divergences, each named --------------------------------

def _signed_request(host=None, port=None, secure=True, headers=None,
                    body=b"", key="k", bucket="bucket", query=""):
    conn = _s3_connection(host, port, secure, True, None)
    req = build_s3_request(conn, "PUT", bucket, key, query, headers or {},
                           body)
    req.authorize(connection=conn)
    return conn, req, _auth_fields(req.headers["Authorization"])


def test_user_agent_is_sent_but_never_signed():
    _conn, req, fields = _signed_request()
    assert req.headers["User-Agent"] == boto.UserAgent
    assert "user-agent" not in fields["SignedHeaders"].split(";")
    check_s3(None, None, True, True, None, "PUT", "bucket", "k", "",
             {"User-Agent": "mine"}, b"x")


def test_non_default_port_is_in_host_once():
    """boto 2 signs ``host:port:port`` (server_name() already has the port)."""
    conn, req, _ = _signed_request("minio.example.com", 9000, False)
    assert conn.server_name() == "minio.example.com:9000"
    assert req.headers["Host"] == "minio.example.com:9000"
    check_s3("minio.example.com", 9000, False, False, None, "GET", "bucket",
             "k", "", {}, b"")


def test_default_port_443_is_dropped_on_python3():
    """Python 3's server_name() is ``host:443``; botocore drops the port."""
    conn, req, _ = _signed_request("s3.eu-central-1.amazonaws.com", 443, True)
    assert conn.server_name().endswith(":443")  # boto's own, on Python 3
    assert req.headers["Host"] == "s3.eu-central-1.amazonaws.com"
    conn, req, _ = _signed_request("minio.example.com", 80, False)
    assert req.headers["Host"] == "minio.example.com"


def test_text_body_is_sent_as_the_bytes_that_were_hashed():
    """boto 2 hands a text body to http.client, which sends it as Latin-1
    (or raises): the hash must be of the bytes that go out."""
    for text in (u"caf\u00e9", u"snow \u2603"):
        _conn, req, _ = _signed_request(body=text)
        assert isinstance(req.body, bytes)
        assert req.headers["x-amz-content-sha256"] == hashlib.sha256(
            text.encode("utf-8")).hexdigest()
        assert req.headers.get("Content-Length", str(len(req.body))) == \
            str(len(text.encode("utf-8")))


def test_signed_header_rule_matches_botocore_default():
    """Every header botocore signs is signed (Content-Length, Connection
    & co included when present at signing time), never User-Agent."""
    headers = {"Content-Length": "3", "Proxy-Connection": "keep-alive",
               "Expect": "100-continue", "traceparent": "00-1-2-01",
               "X-Amzn-Trace-Id": "Root=1", "Connection": "close",
               "x-amz-meta-x": " a  b "}
    check_s3("minio.example.com", 9000, False, True, None, "PUT", "b", "k", "",
             headers, b"abc")
    _conn, _req, fields = _signed_request(headers=headers, body=b"abc")
    signed = fields["SignedHeaders"].split(";")
    assert "content-length" in signed and "proxy-connection" in signed
    for name in ("user-agent", "expect", "x-amzn-trace-id", "connection",
                 "traceparent"):
        assert name not in signed


def test_repeated_query_names_and_empty_values_are_kept():
    creq = check_s3(None, None, True, True, None, "GET", "bucket", "k",
                    "b=2&a=&b=1&a&uploads", {}, b"")
    assert creq.split("\n")[2] == "a=&a=&b=1&b=2&uploads="


# -- S3, presigned -----------------------------------------------------------

def _seed_region(conn, bucket):
    shim_plan = getattr(conn, "_shim_s3", None)
    if bucket and shim_plan is not None and shim_plan.routes_buckets:
        bucket_regions.CACHE.set(shim_plan.partition, bucket, shim_plan.region)


PRESIGN_PARAMS = st.dictionaries(
    st.one_of(st.sampled_from(["partNumber", "uploadId",
                               "response-content-type",
                               "response-content-disposition", "x-id"]),
              _QUERY_TEXT.filter(lambda s: s and not s.lower().startswith(
                  "x-amz-"))),
    st.one_of(st.just(""), _QUERY_TEXT, st.integers(0, 10000).map(str)),
    max_size=4)
PRESIGN_HEADERS = st.dictionaries(
    st.sampled_from(["Content-Type", "x-amz-meta-a", "X-Amz-Meta-A",
                     "Content-MD5", "x-amz-acl", "Cache-Control"]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e),
            max_size=12),
    max_size=3)


def check_presigned(host_arg, port, secure, ordinary, token, method, bucket,
                    key, params, headers, version_id, expires):
    conn = _s3_connection(host_arg, port, secure, ordinary, token)
    if not ordinary and bucket != bucket.lower():
        return None
    _seed_region(conn, bucket)
    with _Recorder(conn) as rec:
        url = conn.generate_url(expires, method, bucket, key,
                                headers=dict(headers) or None,
                                response_headers=dict(params) or None,
                                version_id=version_id)
    parts = urlsplit(url)
    pairs = signer.parse_query(parts.query)
    assert pairs[-1][0] == "X-Amz-Signature"
    got = dict(pairs)
    assert got["X-Amz-Expires"] == str(expires)
    assert got["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert ("X-Amz-Security-Token" in got) == bool(token)
    # every extra parameter is carried, as given
    expected_params = sorted([(signer.to_text(k), signer.to_text(v))
                              for k, v in params.items()] +
                             ([("versionId", version_id)]
                              if version_id is not None else []))
    carried = sorted(p for p in pairs if not p[0].startswith("X-Amz-"))
    assert carried == expected_params
    unsigned_url = url[:url.rindex("&X-Amz-Signature=")]
    sent = HTTPHeaders()
    sent["Host"] = parts.netloc
    for name, value in headers.items():
        sent[name] = value
    scope = got["X-Amz-Credential"].split("/", 1)[1]
    creq, _sts, sig = botocore_check(
        _S3Query, "s3", method, "https://" + unsigned_url.split("://", 1)[1],
        sent, b"", got["X-Amz-Date"], got["X-Amz-SignedHeaders"].split(";"),
        scope.split("/")[1], token=token)
    assert rec.creqs[-1] == creq
    assert got["X-Amz-Signature"] == sig
    assert got["X-Amz-SignedHeaders"].split(";") == botocore_default_names(
        S3SigV4QueryAuth, url, sent)
    assert parts.netloc == parts.netloc.lower()
    assert parts.netloc.count(":") <= 1
    return url


@_settings(1500)
@given(where=S3_HOSTS, ordinary=st.booleans(),
       token=st.sampled_from([None, TOKEN]),
       method=st.sampled_from(["GET", "PUT", "DELETE", "HEAD", "POST"]),
       bucket=BUCKETS, key=KEYS, params=PRESIGN_PARAMS,
       headers=PRESIGN_HEADERS,
       version_id=st.one_of(st.none(), _QUERY_TEXT),
       expires=st.integers(1, 604800))
def test_presigned_url_signs_as_botocore(where, ordinary, token, method, bucket,
                                        key, params, headers, version_id,
                                        expires):
    host_arg, port, secure = where
    check_presigned(host_arg, port, secure, ordinary, token, method, bucket,
                    key, params, headers, version_id, expires)


def test_presigned_part_upload_carries_part_number_and_upload_id():
    url = check_presigned(None, None, True, False, None, "PUT", "bucket",
                          "big/object", {"partNumber": "1",
                                         "uploadId": "VXBsb2FkIElE+/="},
                          {}, None, 3600)
    query = dict(signer.parse_query(urlsplit(url).query))
    assert query["partNumber"] == "1"
    assert query["uploadId"] == "VXBsb2FkIElE+/="


# -- EC2, the query services' handler ---------------------------------------

EC2_PLACES = st.sampled_from([
    ("region", "us-east-1"), ("region", "eu-central-1"),
    ("region", "ap-southeast-5"), ("region", "cn-northwest-1"),
    ("region", "us-gov-east-1"), ("host", "ec2.eu-west-3.amazonaws.com"),
    ("port", 8443),
])
PARAM_VALUES = st.one_of(st.just(""), _QUERY_TEXT,
                         st.integers(-5, 10 ** 6).map(str))
EC2_PATHS = st.one_of(st.just("/"), st.lists(_FRAGMENTS, max_size=6).map(
    lambda parts: "/" + quote("".join(parts).encode("utf-8"), safe="/")))


def _ec2_connection(place, token):
    kwargs = dict(aws_access_key_id=ACCESS_KEY,
                  aws_secret_access_key=SECRET_KEY)
    if token:
        kwargs["security_token"] = token
    kind, value = place
    if kind == "region":
        return boto.ec2.connect_to_region(value, **kwargs)
    if kind == "host":
        from boto.ec2.regioninfo import RegionInfo
        return EC2Connection(region=RegionInfo(name="eu-west-3",
                                               endpoint=value), **kwargs)
    return boto.ec2.connect_to_region("eu-west-1", port=value, **kwargs)


def check_ec2(place, token, verb, path, params, headers):
    conn = _ec2_connection(place, token)
    req = conn.build_base_http_request(verb, path, None, dict(params),
                                       dict(headers), "", conn.host)
    req.params["Action"] = "DescribeInstances"
    req.params["Version"] = conn.APIVersion
    with _Recorder(conn) as rec:
        req.authorize(connection=conn)
    sent = _headers_as_sent(req.headers)
    body_bytes = _body_as_sent(req.body)
    url = "https://" + sent["Host"] + req.path
    fields = _auth_fields(sent["Authorization"])
    scope = fields["Credential"].split("/", 1)[1]
    assert scope.split("/")[2] == "ec2"
    creq, _sts, sig = botocore_check(
        _Query, "ec2", verb, url, sent, body_bytes, sent["X-Amz-Date"],
        fields["SignedHeaders"].split(";"), scope.split("/")[1], token=token)
    assert rec.creqs[-1] == creq
    assert fields["Signature"] == sig
    _assert_header_rule(fields, rec.headers_at_signing, url, SigV4Auth)
    host = sent["Host"]
    assert host.count(":") <= 1 and host == host.lower()
    if conn.port in (None, 443):
        assert ":" not in host
    return creq, req


@_settings(800)
@given(place=EC2_PLACES, token=st.sampled_from([None, TOKEN]),
       verb=st.sampled_from(["POST", "GET"]), path=EC2_PATHS,
       params=st.dictionaries(QUERY_NAMES.filter(
           lambda s: s not in ("Action", "Version")), PARAM_VALUES,
           max_size=5),
       headers=st.dictionaries(st.sampled_from(["x-custom", "X-Custom",
                                                "Content-Type", "Expect"]),
                               _HEADER_VALUE, max_size=2))
def test_ec2_request_signs_as_botocore(place, token, verb, path, params,
                                       headers):
    check_ec2(place, token, verb, path, params, headers)


def test_ec2_path_is_sent_once_encoded_and_signed_normalised():
    """The query services' canonical path is the wire path normalised and
    encoded once more; the wire path must not be that canonical form."""
    creq, req = check_ec2(("region", "eu-central-1"), None, "POST",
                          "/a%20b/./c/../d//e", {"X": "1"}, {})
    assert req.path == "/a%20b/d/e"
    assert creq.split("\n")[1] == "/a%2520b/d/e"


def test_ec2_region_with_explicit_port_signs_host_with_port():
    _creq, req = check_ec2(("port", 8443), None, "GET", "/", {"a": "b"}, {})
    assert req.headers["Host"] == "ec2.eu-west-1.amazonaws.com:8443"


def test_region_guess_never_builds_a_host():
    # Belt and braces for the partition rule the hosts rely on.
    assert regions.service_host("ec2", "eu-central-1") == \
        "ec2.eu-central-1.amazonaws.com"
