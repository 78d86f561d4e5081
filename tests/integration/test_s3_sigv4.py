"""S3 through the shim against moto behind the SigV4-checking AWS front."""
import ssl

import boto
import boto.s3
import pytest
from boto.exception import S3ResponseError
from boto.s3.connection import OrdinaryCallingFormat, S3Connection
from boto.s3.key import Key

from boto_sigv4_shim import bucket_regions
from boto_sigv4_shim.errors import RedirectRefused

try:
    from urllib.request import urlopen
except ImportError:  # pragma: no cover
    from urllib2 import urlopen

NEW_REGIONS = ["af-south-1", "ap-east-1", "ap-southeast-5", "mx-central-1",
               "il-central-1"]


def test_default_connection_signs_sigv4_for_us_east_1(front, s3, unique_bucket):
    name = unique_bucket()
    bucket = s3.create_bucket(name)
    Key(bucket, "a/b c.txt").set_contents_from_string(b"hello")
    assert bucket.get_key("a/b c.txt").get_contents_as_string() == b"hello"
    assert front.requests, "nothing reached the front"
    assert [r.method for r in front.requests] == ["PUT", "PUT", "HEAD", "GET"]
    for record in front.requests:
        assert (record.auth, record.region, record.status) == \
            ("sigv4", "us-east-1", 200)
        assert record.host == name + ".s3.amazonaws.com"
        assert "user-agent" not in record.signed_headers
        assert "host" in record.signed_headers


@pytest.mark.parametrize("region", NEW_REGIONS + ["eu-central-1"])
def test_connect_to_region_in_new_regions(front, region, unique_bucket):
    conn = boto.s3.connect_to_region(region)
    assert conn is not None
    assert conn.host == "s3.%s.amazonaws.com" % region
    name = unique_bucket()
    bucket = conn.create_bucket(name, location=region)
    bucket.new_key("k").set_contents_from_string("v")
    assert [k.name for k in bucket.list()] == ["k"]
    assert set((r.region, r.host, r.status) for r in front.requests) == \
        set([(region, "%s.s3.%s.amazonaws.com" % (name, region), 200)])


def test_storage_uri_connection_signs_sigv4(front, unique_bucket):
    name = unique_bucket()
    boto.connect_s3().create_bucket(name)
    front.clear()
    uri = boto.storage_uri("s3://%s/obj" % name)
    uri.new_key().set_contents_from_string("data")
    assert uri.get_key().get_contents_as_string() == b"data"
    assert type(uri.connect()._auth_handler).__name__ == "S3SigV4Handler"
    assert set(r.auth for r in front.requests) == set(["sigv4"])


def test_custom_port_store_signs_host_once(front, unique_bucket):
    """A non-AWS host on a non-default port: boto signs host:port:port."""
    conn = S3Connection(host="127.0.0.1", port=front.http_port,
                        is_secure=False, calling_format=OrdinaryCallingFormat())
    name = unique_bucket()
    conn.create_bucket(name)
    assert conn.get_bucket(name).name == name
    hosts = set(r.host for r in front.requests)
    assert hosts == set(["127.0.0.1:%d" % front.http_port])
    assert set((r.auth, r.region, r.status) for r in front.requests) == \
        set([("sigv4", "us-east-1", 200)])


def test_custom_store_upload_error_is_boto_s_own(front, unique_bucket):
    """boto's upload sender raises S3ResponseError itself; off AWS it reaches
    the caller unchanged (status, code), as without the shim."""
    conn = S3Connection(host="127.0.0.1", port=front.http_port,
                        is_secure=False, calling_format=OrdinaryCallingFormat())
    key = conn.get_bucket(unique_bucket(), validate=False).new_key("k")
    with pytest.raises(S3ResponseError) as info:
        key.set_contents_from_string("data")
    assert (info.value.status, info.value.error_code) == (404, "NoSuchBucket")


def test_custom_store_region_setting(front, unique_bucket, monkeypatch):
    monkeypatch.setenv("BOTO_SIGV4_SHIM_S3_CUSTOM_REGION", "garage")
    front.custom_region = "garage"
    conn = S3Connection(host="127.0.0.1", port=front.http_port,
                        is_secure=False, calling_format=OrdinaryCallingFormat())
    conn.create_bucket(unique_bucket())
    assert [(r.region, r.status) for r in front.requests] == [("garage", 200)]


def test_bad_custom_store_region_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("BOTO_SIGV4_SHIM_S3_CUSTOM_REGION", "Garage!")
    with pytest.raises(ValueError) as info:
        S3Connection(host="minio.test")
    assert "'Garage!' (from BOTO_SIGV4_SHIM_S3_CUSTOM_REGION)" in str(info.value)


def test_anonymous_connection_stays_anonymous(front, s3, unique_bucket):
    front.allow_anonymous = True
    name = unique_bucket()
    s3.create_bucket(name, policy="public-read")
    front.clear()
    anon = boto.connect_s3(anon=True)
    assert type(anon._auth_handler).__name__ == "AnonAuthHandler"
    anon.get_bucket(name, validate=False).get_all_keys()
    assert [r.auth for r in front.requests] == ["anonymous"]


def test_sigv2_opt_out_host_keeps_boto_signing(front, monkeypatch):
    monkeypatch.setenv("BOTO_SIGV4_SHIM_SIGV2_HOSTS", ".legacy.test")
    conn = S3Connection(host="store.legacy.test", is_secure=False)
    assert type(conn._auth_handler).__name__ == "HmacAuthV1Handler"
    with pytest.raises(S3ResponseError):
        conn.get_all_buckets()
    assert [(r.auth, r.host) for r in front.requests] == \
        [("sigv2", "store.legacy.test")]


def test_google_storage_keeps_google_signing():
    conn = boto.connect_gs("GOOGKEY", "googsecret")
    assert conn.host == "storage.googleapis.com"
    assert type(conn._auth_handler).__name__ == "HmacAuthV1Handler"
    assert conn._auth_handler._provider.name == "google"


def test_region_from_environment(front, monkeypatch, unique_bucket):
    monkeypatch.setenv("AWS_REGION", "ap-south-2")
    conn = boto.connect_s3()
    assert (conn.host, conn._auth_handler.region_name) == \
        ("s3.ap-south-2.amazonaws.com", "ap-south-2")
    name = unique_bucket()
    conn.create_bucket(name, location="ap-south-2")
    assert [(r.region, r.status) for r in front.requests] == \
        [("ap-south-2", 200)]


@pytest.mark.parametrize("bad", ["eu-central-1; x", "evil.com#", "../"])
def test_bad_region_strings_raise_value_error(bad, monkeypatch):
    with pytest.raises(ValueError) as info:
        boto.s3.connect_to_region(bad)
    assert repr(bad) in str(info.value)
    monkeypatch.setenv("AWS_REGION", bad)
    with pytest.raises(ValueError) as info:
        boto.connect_s3()
    assert "%r (from AWS_REGION)" % bad in str(info.value)


def test_user_named_hosts_are_kept(front):
    for host, region in [("s3-us-west-2.amazonaws.com", "us-west-2"),
                         ("s3.dualstack.eu-west-1.amazonaws.com", "eu-west-1"),
                         ("s3-fips.us-east-2.amazonaws.com", "us-east-2"),
                         ("bucket.vpce-0a1b.s3.us-east-1.vpce.amazonaws.com",
                          "us-east-1")]:
        conn = S3Connection(host=host)
        assert (conn.host, conn._auth_handler.region_name) == (host, region)
        assert type(conn._auth_handler).__name__ == "S3SigV4Handler"


# -- per-bucket regions (wrong-region answers of real S3) ---------------------

def _bucket_in(region, unique_bucket):
    name = unique_bucket()
    boto.s3.connect_to_region(region).create_bucket(name, location=region)
    bucket_regions.CACHE.clear()  # as a fresh process would be
    return name


@pytest.mark.parametrize("with_header", [True, False])
def test_default_connection_finds_bucket_region(front, unique_bucket,
                                                with_header):
    """Global endpoint, bucket elsewhere: S3's 400 AuthorizationHeaderMalformed
    names the region in its body (the header may be missing): one wrong
    answer, then every request goes straight to the bucket's region."""
    name = _bucket_in("eu-west-3", unique_bucket)
    front.send_region_header = with_header
    front.clear()
    bucket = boto.connect_s3().get_bucket(name, validate=False)
    assert bucket.get_all_keys() == []
    bucket.new_key("x").set_contents_from_string("1")
    assert bucket.get_key("x").get_contents_as_string() == b"1"
    seen = [(r.method, r.host, r.region, r.status, r.error)
            for r in front.requests]
    assert seen[0] == ("GET", name + ".s3.amazonaws.com", "us-east-1", 400,
                       "AuthorizationHeaderMalformed")
    assert front.requests[0].response_header("x-amz-bucket-region") == \
        ("eu-west-3" if with_header else None)
    assert set(s[1:4] for s in seen[1:]) == set(
        [(name + ".s3.eu-west-3.amazonaws.com", "eu-west-3", 200)])
    front.clear()
    boto.connect_s3().get_bucket(name).get_key("x")
    assert set((r.region, r.status) for r in front.requests) == \
        set([("eu-west-3", 200)])


def test_head_bucket_301_from_regional_endpoint(front, unique_bucket):
    """get_bucket() validates with a HEAD: from another region's endpoint S3
    answers 301 with the header and no body."""
    name = _bucket_in("ap-south-1", unique_bucket)
    front.clear()
    boto.s3.connect_to_region("us-west-1").get_bucket(name)
    assert [(r.method, r.region, r.status) for r in front.requests] == [
        ("HEAD", "us-west-1", 301), ("HEAD", "ap-south-1", 200)]


def test_one_connection_reaches_three_regions(front, unique_bucket):
    names = dict((r, _bucket_in(r, unique_bucket))
                 for r in ("us-west-2", "ap-northeast-3", "sa-east-1"))
    front.clear()
    conn = boto.connect_s3()
    for region, name in sorted(names.items()):
        conn.get_bucket(name, validate=False).new_key("k") \
            .set_contents_from_string(region)
    for region, name in sorted(names.items()):
        assert conn.get_bucket(name, validate=False).get_key("k") \
            .get_contents_as_string() == region.encode()
    wrong = [r for r in front.requests if r.status != 200]
    assert len(wrong) == 3  # one per bucket, then none


def test_presigned_url_for_bucket_in_other_region(front, unique_bucket,
                                                 test_certs):
    name = _bucket_in("eu-central-2", unique_bucket)
    conn = boto.connect_s3()
    conn.get_bucket(name, validate=False).new_key("doc.txt") \
        .set_contents_from_string("presigned")
    bucket_regions.CACHE.clear()
    front.clear()
    url = conn.generate_url(600, "GET", name, "doc.txt",
                            response_headers={"response-content-type":
                                              "text/x-demo"})
    assert url.startswith("https://%s.s3.eu-central-2.amazonaws.com/doc.txt?"
                          % name)
    assert [r.method for r in front.requests] == ["HEAD"]  # learnt once
    context = ssl.create_default_context(cafile=test_certs.ca)
    response = urlopen(url, context=context, timeout=10)
    assert response.read() == b"presigned"
    assert response.headers["Content-Type"] == "text/x-demo"
    assert front.requests[-1].auth == "sigv4-query"


def test_presigned_url_expiry_limit_and_absolute(front, s3):
    with pytest.raises(ValueError) as info:
        s3.generate_url(604801, "GET", "b", "k")
    assert "604800" in str(info.value)
    import time
    url = s3.generate_url(time.time() + 120, "GET", "", "",
                          expires_in_absolute=True)
    expires = int(url.split("X-Amz-Expires=")[1].split("&")[0])
    assert 118 <= expires <= 120


def test_force_http_presigned_url(front, s3, unique_bucket):
    name = unique_bucket()
    s3.create_bucket(name).new_key("k").set_contents_from_string("plain")
    url = s3.generate_url(60, "GET", name, "k", force_http=True)
    assert url.startswith("http://%s.s3.amazonaws.com/k?" % name)
    assert urlopen(url, timeout=10).read() == b"plain"


def test_dotted_bucket_uses_path_style_over_https(front, s3):
    name = "shim.%s" % __import__("uuid").uuid4().hex[:16]
    bucket = s3.create_bucket(name)
    bucket.new_key("k").set_contents_from_string("d")
    assert set(r.host for r in front.requests) == set(["s3.amazonaws.com"])
    assert all(r.path.startswith("/" + name) for r in front.requests)


@pytest.fixture
def redirecting_store():
    """An S3-compatible store on loopback that answers every request with a
    301 to another host, recording what it was sent."""
    import threading
    try:
        from http.server import BaseHTTPRequestHandler, HTTPServer
    except ImportError:  # pragma: no cover
        from BaseHTTPServer import BaseHTTPRequestHandler, HTTPServer
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.command, self.headers.get("Host"),
                         self.headers.get("Authorization", "")[:16]))
            self.send_response(301)
            self.send_header("Location", "http://evil.test/steal")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever)
    thread.daemon = True
    thread.start()
    yield server.server_port, seen
    server.shutdown()
    server.server_close()


def test_redirect_to_non_aws_host_is_refused(front, redirecting_store):
    """A custom store answering 301 Location elsewhere gets no credentials
    sent there: the redirect is refused with a clear error."""
    port, seen = redirecting_store
    conn = S3Connection(host="127.0.0.1", port=port, is_secure=False,
                        calling_format=OrdinaryCallingFormat())
    with pytest.raises(RedirectRefused) as info:
        conn.get_all_buckets()
    assert "'http://evil.test/steal'" in str(info.value)
    assert seen == [("GET", "127.0.0.1:%d" % port, "AWS4-HMAC-SHA256")]
    assert front.requests == []  # evil.test would route to the front


def test_cross_region_copy_key(front, unique_bucket):
    source = _bucket_in("eu-north-1", unique_bucket)
    target = _bucket_in("ca-central-1", unique_bucket)
    conn = boto.connect_s3()
    conn.get_bucket(source, validate=False).new_key("orig") \
        .set_contents_from_string("copied")
    conn.get_bucket(target, validate=False).copy_key("copy", source, "orig")
    assert conn.get_bucket(target, validate=False).get_key("copy") \
        .get_contents_as_string() == b"copied"


def test_multipart_upload_in_other_region(front, unique_bucket):
    import io
    name = _bucket_in("ap-southeast-4", unique_bucket)
    conn = boto.connect_s3()
    bucket = conn.get_bucket(name, validate=False)
    upload = bucket.initiate_multipart_upload("big")
    part = b"x" * (5 * 1024 * 1024)
    upload.upload_part_from_file(io.BytesIO(part), 1)
    upload.upload_part_from_file(io.BytesIO(b"tail"), 2)
    upload.complete_upload()
    assert bucket.get_key("big").size == len(part) + 4


def test_bucket_and_key_operations_in_another_region(front, unique_bucket):
    """Everything a Bucket/Key does, for a bucket boto never learnt the region
    of, from a default connection: one wrong-region answer, then straight."""
    name = _bucket_in("eu-south-2", unique_bucket)
    front.clear()
    bucket = boto.connect_s3().get_bucket(name)
    for key_name in ("a/1.txt", "a/2.txt", "b/3.txt", "top.txt"):
        key = bucket.new_key(key_name)
        key.set_metadata("origin", "legacy")
        key.set_contents_from_string(key_name)
    prefixes = [p.name for p in bucket.list(prefix="", delimiter="/")]
    assert sorted(prefixes) == ["a/", "b/", "top.txt"]
    assert [k.name for k in bucket.list(prefix="a/")] == ["a/1.txt", "a/2.txt"]
    assert bucket.get_key("a/1.txt").get_metadata("origin") == "legacy"
    bucket.set_acl("public-read", "top.txt")
    grants = bucket.get_acl("top.txt").acl.grants
    assert any(g.permission == "READ" and g.uri and g.uri.endswith("AllUsers")
               for g in grants)
    bucket.delete_key("b/3.txt")
    assert bucket.get_key("b/3.txt") is None
    plain = boto.connect_s3().generate_url(0, "GET", name, "top.txt",
                                           query_auth=False)
    assert plain == "https://%s.s3.eu-south-2.amazonaws.com/top.txt" % name
    for key in bucket.list():
        key.delete()
    boto.connect_s3().delete_bucket(name)
    wrong = [(r.method, r.status) for r in front.requests
             if r.region != "eu-south-2"]
    assert wrong == [("HEAD", 400)]
    assert all(r.status in (200, 204, 404) for r in front.requests
               if r.region == "eu-south-2")
