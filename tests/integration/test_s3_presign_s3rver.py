"""Presigned URLs through the shim, checked by an S3 that is neither moto nor
botocore: s3rver (npm), with the AWS SDK for JavaScript v3's signer in front
of it recomputing each SigV4 signature (s3rver 3.7.1 checks keys, clock and
expiry but not SigV4 signatures; see tests/support/s3rver/launch.js).

boto 2 talks to s3rver as to any S3-compatible store on a non-default port:
``S3Connection(host="127.0.0.1", port=..., is_secure=False,
calling_format=OrdinaryCallingFormat())`` with s3rver's built-in key pair
(S3RVER/S3RVER).  The URLs are fetched with urllib, as a browser or curl
would, never with boto.
"""
import time
import uuid

import pytest
from boto.exception import S3ResponseError
from boto.s3.connection import OrdinaryCallingFormat, S3Connection

from boto_sigv4_shim import clock
from tests.support import s3rver as s3rver_support

try:
    from urllib.error import HTTPError
    from urllib.request import Request, urlopen
except ImportError:  # pragma: no cover
    from urllib2 import HTTPError, Request, urlopen


@pytest.fixture(scope="module")
def s3rver_server():
    try:
        server = s3rver_support.S3rverServer().start()
    except s3rver_support.S3rverUnavailable as reason:
        pytest.skip("s3rver unavailable: %s" % reason)
    yield server
    server.stop()


@pytest.fixture
def server(s3rver_server):
    s3rver_server.clear()
    return s3rver_server


def _connect(server):
    return S3Connection(s3rver_support.ACCESS_KEY, s3rver_support.SECRET_KEY,
                        host="127.0.0.1", port=server.port, is_secure=False,
                        calling_format=OrdinaryCallingFormat())


@pytest.fixture
def stored(server):
    """(connection, bucket name, key name) of an object boto put there."""
    conn = _connect(server)
    name = "presign-%s" % uuid.uuid4().hex[:16]
    bucket = conn.create_bucket(name)
    bucket.new_key("dir/a b+c.txt").set_contents_from_string(b"s3rver body")
    server.clear()
    return conn, name, "dir/a b+c.txt"


def _fetch(url, method="GET", data=None, headers=None):
    """(status, headers, body) of a plain urllib request to ``url``."""
    request = Request(url, data=data, headers=headers or {})
    request.get_method = lambda: method
    try:
        response = urlopen(request, timeout=10)
    except HTTPError as error:
        return error.code, error.headers, error.read()
    return response.status, response.headers, response.read()


def _code(body):
    return body.split(b"<Code>")[1].split(b"</Code>")[0].decode("ascii")


def test_boto_header_signed_requests_are_verified(server):
    """Every request boto sent through the shim carried a SigV4 signature
    the JS signer recomputed (Host signed once, as 127.0.0.1:<port>)."""
    conn = _connect(server)
    name = "hdr-%s" % uuid.uuid4().hex[:16]
    conn.create_bucket(name).new_key("k").set_contents_from_string(b"v")
    assert conn.get_bucket(name).get_key("k").get_contents_as_string() == b"v"
    assert server.seen("method", "path", "auth", "region", "verdict",
                       "status") == [
        ("PUT", "/%s/" % name, "sigv4", "us-east-1", "ok", 200),
        ("PUT", "/%s/k" % name, "sigv4", "us-east-1", "ok", 200),
        ("HEAD", "/%s/" % name, "sigv4", "us-east-1", "ok", 200),
        ("HEAD", "/%s/k" % name, "sigv4", "us-east-1", "ok", 200),
        ("GET", "/%s/k" % name, "sigv4", "us-east-1", "ok", 200)]
    assert all("host" in r["signed_headers"].split(";")
               for r in server.requests)


def test_presigned_get_is_accepted(server, stored):
    conn, name, key = stored
    url = conn.generate_url(120, "GET", name, key)
    assert url.startswith("http://127.0.0.1:%d/%s/dir/a%%20b%%2Bc.txt?"
                          % (server.port, name))
    assert "X-Amz-Credential=S3RVER%2F" in url
    status, _, body = _fetch(url)
    assert (status, body) == (200, b"s3rver body")
    assert server.seen("method", "auth", "region", "signed_headers",
                       "verdict", "status") == [
        ("GET", "sigv4-query", "us-east-1", "host", "ok", 200)]


def test_presigned_put_is_accepted_with_signed_content_type(server, stored):
    conn, name, _ = stored
    url = conn.generate_url(120, "PUT", name, "uploaded.txt",
                            headers={"Content-Type": "text/x-upload"})
    status, _, _ = _fetch(url, "PUT", b"put by url",
                          {"Content-Type": "text/x-upload"})
    assert status == 200
    key = conn.get_bucket(name).get_key("uploaded.txt")
    assert key.get_contents_as_string() == b"put by url"
    assert key.content_type == "text/x-upload"
    assert server.seen("method", "auth", "signed_headers", "verdict")[0] == \
        ("PUT", "sigv4-query", "content-type;host", "ok")


def test_presigned_put_with_another_content_type_is_refused(server, stored):
    conn, name, _ = stored
    url = conn.generate_url(120, "PUT", name, "typed.txt",
                            headers={"Content-Type": "text/x-upload"})
    status, _, body = _fetch(url, "PUT", b"x", {"Content-Type": "text/html"})
    assert (status, _code(body)) == (403, "SignatureDoesNotMatch")


def test_tampered_signature_is_refused(server, stored):
    conn, name, key = stored
    url = conn.generate_url(120, "GET", name, key)
    head, signature = url.rsplit("X-Amz-Signature=", 1)
    assert len(signature) == 64
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    status, _, body = _fetch(head + "X-Amz-Signature=" + flipped)
    assert (status, _code(body)) == (403, "SignatureDoesNotMatch")
    assert b"s3rver body" not in body
    assert server.seen("auth", "verdict", "status") == [
        ("sigv4-query", "SignatureDoesNotMatch", 403)]


def test_tampered_query_and_path_are_refused(server, stored):
    conn, name, key = stored
    url = conn.generate_url(120, "GET", name, key,
                            response_headers={"response-content-type":
                                              "text/plain"})
    other_type = url.replace("response-content-type=text%2Fplain",
                             "response-content-type=text%2Fhtml")
    other_key = url.replace("/dir/a%20b%2Bc.txt?", "/dir/other.txt?")
    assert other_type != url and other_key != url
    assert [_fetch(u)[0] for u in (other_type, other_key)] == [403, 403]
    assert server.seen("verdict") == [("SignatureDoesNotMatch",)] * 2


def test_url_past_its_expiry_is_refused(server, stored):
    conn, name, key = stored
    url = conn.generate_url(1, "GET", name, key)
    assert "X-Amz-Expires=1&" in url
    time.sleep(2.2)
    status, _, body = _fetch(url)
    assert (status, _code(body)) == (403, "AccessDenied")
    assert b"Request has expired" in body
    assert server.seen("auth", "verdict") == [("sigv4-query", "AccessDenied")]


def test_url_signed_with_a_slow_clock_is_expired(server, stored):
    """A presign made while the shim's clock runs 10 minutes behind: its
    X-Amz-Date is 10 minutes old, past its 5-minute expiry."""
    conn, name, key = stored
    previous = clock.offset()
    clock.set_offset(-600)
    try:
        url = conn.generate_url(300, "GET", name, key)
    finally:
        clock.set_offset(previous)
    assert _fetch(url)[0] == 403
    fresh = conn.generate_url(300, "GET", name, key)
    assert _fetch(fresh)[:3:2] == (200, b"s3rver body")
    assert server.seen("verdict", "status") == [("AccessDenied", 403),
                                                ("ok", 200)]


def test_response_headers_round_trip(server, stored):
    conn, name, key = stored
    url = conn.generate_url(120, "GET", name, key, response_headers={
        "response-content-type": "text/x-demo",
        "response-content-disposition": 'attachment; filename="a b.txt"',
        "response-cache-control": "no-cache"})
    status, headers, body = _fetch(url)
    assert (status, body) == (200, b"s3rver body")
    assert headers["Content-Type"] == "text/x-demo"
    assert headers["Content-Disposition"] == 'attachment; filename="a b.txt"'
    assert headers["Cache-Control"] == "no-cache"
    assert server.seen("verdict") == [("ok",)]


def test_version_id_is_signed_into_the_url(server, stored):
    """s3rver keeps no versions (it serves the object whatever versionId
    says), so this checks the part the shim owns: versionId is in the URL
    and in the signature the verifier recomputed."""
    conn, name, key = stored
    url = conn.generate_url(120, "GET", name, key, version_id="3/L4kqtJl+x")
    assert "versionId=3%2FL4kqtJl%2Bx" in url
    assert _fetch(url)[:3:2] == (200, b"s3rver body")
    tampered = url.replace("versionId=3%2FL4kqtJl%2Bx", "versionId=other")
    assert _fetch(tampered)[0] == 403
    assert server.seen("verdict") == [("ok",), ("SignatureDoesNotMatch",)]


def test_wrong_signing_region_is_refused(server, stored, monkeypatch):
    """Negative control for the region check: a store-wide signing region
    other than the store's own is refused by the verifier."""
    monkeypatch.setenv("BOTO_SIGV4_SHIM_S3_CUSTOM_REGION", "eu-test-1")
    _, name, key = stored
    conn = _connect(server)
    status, _, body = _fetch(conn.generate_url(60, "GET", name, key))
    assert (status, _code(body)) == (400, "AuthorizationQueryParametersError")
    with pytest.raises(S3ResponseError) as info:
        conn.get_bucket(name)
    assert info.value.status == 400
    assert server.seen("region", "verdict") == [
        ("eu-test-1", "AuthorizationQueryParametersError"),
        ("eu-test-1", "AuthorizationHeaderMalformed")]
