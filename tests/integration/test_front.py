"""The loopback AWS front behaves as real S3 and EC2 do.

Everything here is signed by botocore -- the reference signer -- and reaches
the front by real AWS names through tests/support/route.py, so these tests
prove the rig itself before any boto 2 test relies on it.
"""
import hashlib
import http.client
import re
import socket
import ssl
import time
from urllib.parse import urlsplit

import boto3
import botocore.config
import pytest
from botocore.auth import (HmacV1QueryAuth, S3SigV4Auth, S3SigV4QueryAuth,
                           SigV4Auth)
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, SSLError

from tests.support.front import TEST_ACCESS_KEY, TEST_SECRET_KEY

REGION_MESSAGE = ("The authorization header is malformed; the region '%s' is "
                  "wrong; expecting '%s'")


# ---- helpers ---------------------------------------------------------------

class Answer(object):
    def __init__(self, response, body):
        self.status = response.status
        self.headers = response.headers
        self.body = body.decode("utf-8")

    def tag(self, name):
        match = re.search(r"<%s>(.*?)</%s>" % (name, name), self.body, re.S)
        return match.group(1) if match else None

    @property
    def code(self):
        return self.tag("Code")

    @property
    def message(self):
        return self.tag("Message")


def send(ca, method, url, body=b"", headers=None):
    """One HTTP(S) request by name (route.py takes it to the front)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        context = ssl.create_default_context(cafile=ca)
        connection = http.client.HTTPSConnection(parts.hostname, parts.port,
                                                 timeout=10, context=context)
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port,
                                                timeout=10)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        connection.request(method, target, body=body or None,
                           headers=dict(headers or {}))
        response = connection.getresponse()
        return Answer(response, response.read())
    finally:
        connection.close()


def signed(ca, method, url, region, service="s3", body=b"", headers=None,
           access_key=TEST_ACCESS_KEY, secret=TEST_SECRET_KEY, tamper=False,
           send_body=None):
    """Sign with botocore's SigV4 (header form) and send.

    ``tamper`` spoils the signature; ``send_body`` replaces the signed body.
    """
    request = AWSRequest(method=method, url=url, data=body,
                         headers=dict(headers or {}))
    signer_class = S3SigV4Auth if service == "s3" else SigV4Auth
    signer_class(Credentials(access_key, secret), service,
                 region).add_auth(request)
    prepared = request.prepare()
    sent = dict(prepared.headers.items())
    if tamper:
        sent["Authorization"] = sent["Authorization"][:-4] + "0000"
    if send_body is not None:
        body = send_body
        sent["Content-Length"] = str(len(body))
    return send(ca, method, prepared.url, body, sent)


def presigned(ca, method, url, region, expires=3600):
    request = AWSRequest(method=method, url=url)
    S3SigV4QueryAuth(Credentials(TEST_ACCESS_KEY, TEST_SECRET_KEY), "s3",
                     region, expires=expires).add_auth(request)
    return send(ca, method, request.prepare().url)


def client(ca, service, region, **config):
    session = boto3.session.Session(aws_access_key_id=TEST_ACCESS_KEY,
                                    aws_secret_access_key=TEST_SECRET_KEY)
    return session.client(service, region_name=region, verify=ca,
                          config=botocore.config.Config(
                              retries={"max_attempts": 1}, **config))


def create_bucket_body(region):
    return ('<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/'
            '2006-03-01/"><LocationConstraint>%s</LocationConstraint>'
            "</CreateBucketConfiguration>" % region).encode("ascii")


@pytest.fixture
def ca(test_certs):
    return test_certs.ca


@pytest.fixture
def eu_bucket(front, ca, unique_bucket):
    """A bucket really created in eu-central-1 (through the front)."""
    name = unique_bucket()
    client(ca, "s3", "eu-central-1").create_bucket(
        Bucket=name,
        CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    assert front.bucket_regions[name] == "eu-central-1"
    front.clear()
    return name


# ---- what works --------------------------------------------------------------

def test_s3_round_trip_us_east_1_over_tls(front, ca, unique_bucket):
    s3 = client(ca, "s3", "us-east-1")
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="dir/a b~c.txt", Body=b"hello")
    body = s3.get_object(Bucket=name, Key="dir/a b~c.txt")["Body"].read()
    assert body == b"hello"
    assert front.bucket_regions[name] == "us-east-1"
    assert [(r.method, r.status, r.auth, r.region, r.service, r.listener)
            for r in front.requests] == [
        ("PUT", 200, "sigv4", "us-east-1", "s3", "https")] * 2 + [
        ("GET", 200, "sigv4", "us-east-1", "s3", "https")]
    assert front.requests[0].host == name + ".s3.amazonaws.com"
    assert front.requests[0].port == front.https_port
    assert "host" in front.requests[0].signed_headers
    assert front.errors == []


def test_s3_round_trip_eu_central_1_over_tls(front, ca, eu_bucket):
    s3 = client(ca, "s3", "eu-central-1")
    s3.put_object(Bucket=eu_bucket, Key="k", Body=b"x" * 1000)
    listing = s3.list_objects_v2(Bucket=eu_bucket)
    assert [o["Key"] for o in listing["Contents"]] == ["k"]
    assert {r.host for r in front.requests} == {
        eu_bucket + ".s3.eu-central-1.amazonaws.com"}
    assert {(r.status, r.region) for r in front.requests} == {
        (200, "eu-central-1")}


def test_plain_http_listener_and_chunked_body(front, ca, unique_bucket):
    s3 = client(ca, "s3", "us-east-1")
    name = unique_bucket()
    s3.create_bucket(Bucket=name)
    body = b"chunked body " * 50
    request = AWSRequest(method="PUT", url="http://s3.amazonaws.com/%s/c"
                         % name, data=body)
    S3SigV4Auth(Credentials(TEST_ACCESS_KEY, TEST_SECRET_KEY), "s3",
                "us-east-1").add_auth(request)
    connection = http.client.HTTPConnection("s3.amazonaws.com", 80,
                                            timeout=10)
    connection.request("PUT", "/%s/c" % name, body=iter([body[:100],
                                                         body[100:]]),
                       headers=dict(request.headers.items()),
                       encode_chunked=True)
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200
    record = front.requests[-1]
    assert (record.listener, record.port) == ("http", front.http_port)
    assert record.header("Transfer-Encoding") == "chunked"
    assert s3.get_object(Bucket=name, Key="c")["Body"].read() == body


class _SignEverything(S3SigV4Auth):
    """botocore leaves User-Agent unsigned; AWS accepts it signed too."""

    def headers_to_sign(self, request):
        headers = super().headers_to_sign(request)
        headers["user-agent"] = request.headers["User-Agent"]
        return headers


def test_any_signed_header_list_is_accepted(front, ca):
    request = AWSRequest(method="GET", url="https://s3.amazonaws.com/",
                         headers={"User-Agent": "legacy  boto/2.49.0"})
    _SignEverything(Credentials(TEST_ACCESS_KEY, TEST_SECRET_KEY), "s3",
                    "us-east-1").add_auth(request)
    answer = send(ca, "GET", request.url, headers=dict(request.headers.items()))
    assert answer.status == 200, answer.body
    assert "user-agent" in front.requests[-1].signed_headers


def test_presigned_url_works(front, ca, eu_bucket):
    client(ca, "s3", "eu-central-1").put_object(Bucket=eu_bucket, Key="p",
                                                Body=b"presigned")
    answer = presigned(ca, "GET", "https://%s.s3.eu-central-1.amazonaws.com/p"
                       % eu_bucket, "eu-central-1")
    assert (answer.status, answer.body) == (200, "presigned")
    assert front.requests[-1].auth == "sigv4-query"


@pytest.mark.parametrize("region", ["ap-southeast-7", "ap-future-9"])
def test_ec2_describe_regions_in_a_new_region(front, ca, region):
    regions = client(ca, "ec2", region).describe_regions()["Regions"]
    assert regions
    record = front.requests[-1]
    assert (record.host, record.auth, record.region, record.service,
            record.status) == ("ec2.%s.amazonaws.com" % region, "sigv4",
                               region, "ec2", 200)


def test_custom_store_uses_custom_region(front, ca, unique_bucket):
    front.custom_region = "minio-site"
    name = unique_bucket()
    answer = signed(ca, "PUT", "http://minio.test/%s" % name, "minio-site")
    assert answer.status == 200, answer.body
    answer = signed(ca, "GET", "http://minio.test/%s" % name, "us-east-1")
    assert (answer.status, answer.code) == (400,
                                            "AuthorizationHeaderMalformed")
    assert answer.message == REGION_MESSAGE % ("us-east-1", "minio-site")
    assert name not in front.bucket_regions


# ---- region errors -----------------------------------------------------------

def test_regional_endpoint_signed_for_another_region(front, ca):
    answer = signed(ca, "GET", "https://s3.eu-central-1.amazonaws.com/",
                    "us-east-1")
    assert (answer.status, answer.code) == (400,
                                            "AuthorizationHeaderMalformed")
    assert answer.message == REGION_MESSAGE % ("us-east-1", "eu-central-1")
    assert answer.tag("Region") == "eu-central-1"
    assert front.requests[-1].error == "AuthorizationHeaderMalformed"


def test_global_vhost_for_bucket_elsewhere(front, ca, eu_bucket):
    url = "https://%s.s3.amazonaws.com/key" % eu_bucket
    answer = signed(ca, "GET", url, "us-east-1")
    assert (answer.status, answer.code) == (400,
                                            "AuthorizationHeaderMalformed")
    assert answer.message == REGION_MESSAGE % ("us-east-1", "eu-central-1")
    assert answer.tag("Region") == "eu-central-1"
    assert answer.headers["x-amz-bucket-region"] == "eu-central-1"
    head = signed(ca, "HEAD", url, "us-east-1")
    assert (head.status, head.body) == (400, "")
    assert head.headers["x-amz-bucket-region"] == "eu-central-1"
    front.send_region_header = False
    answer = signed(ca, "GET", url, "us-east-1")
    assert answer.status == 400
    assert answer.headers["x-amz-bucket-region"] is None
    head = signed(ca, "HEAD", url, "us-east-1")  # no body: header kept
    assert head.headers["x-amz-bucket-region"] == "eu-central-1"
    # Signed for the bucket's region, the global name works (DNS).
    assert signed(ca, "GET", "https://%s.s3.amazonaws.com/" % eu_bucket,
                  "eu-central-1").status == 200


def test_global_path_style_for_bucket_elsewhere_redirects(front, ca,
                                                          eu_bucket):
    url = "https://s3.amazonaws.com/%s/key" % eu_bucket
    answer = signed(ca, "GET", url, "us-east-1")
    assert (answer.status, answer.code) == (301, "PermanentRedirect")
    assert answer.tag("Endpoint") == eu_bucket + ".s3.eu-central-1.amazonaws.com"
    assert answer.headers["x-amz-bucket-region"] == "eu-central-1"
    assert front.requests[-1].response_header("x-amz-bucket-region") == \
        "eu-central-1"
    head = signed(ca, "HEAD", url, "us-east-1")
    assert (head.status, head.body) == (301, "")
    assert head.headers["x-amz-bucket-region"] == "eu-central-1"


def test_dotted_bucket_redirect_names_the_regional_endpoint(front, ca):
    front.bucket_regions["dotted.bucket.name"] = "eu-west-2"
    answer = signed(ca, "GET", "https://s3.amazonaws.com/dotted.bucket.name/",
                    "us-east-1")
    assert (answer.status, answer.tag("Endpoint")) == (
        301, "s3.eu-west-2.amazonaws.com")


def test_other_regional_endpoint(front, ca, eu_bucket):
    url = "https://s3.eu-west-1.amazonaws.com/%s/key" % eu_bucket
    answer = signed(ca, "GET", url, "eu-west-1")
    assert (answer.status, answer.code) == (301, "PermanentRedirect")
    assert answer.headers["x-amz-bucket-region"] == "eu-central-1"
    vhost = signed(ca, "GET", "https://%s.s3.eu-west-1.amazonaws.com/key"
                   % eu_bucket, "eu-west-1")
    assert (vhost.status, vhost.code) == (301, "PermanentRedirect")
    answer = signed(ca, "GET", url, "us-east-1")
    assert (answer.status, answer.code) == (400,
                                            "AuthorizationHeaderMalformed")
    assert answer.message == REGION_MESSAGE % ("us-east-1", "eu-west-1")


def test_create_bucket_location_rules(front, ca, unique_bucket):
    name = unique_bucket()
    url = "https://s3.eu-west-1.amazonaws.com/%s" % name
    answer = signed(ca, "PUT", url, "eu-west-1",
                    body=create_bucket_body("eu-central-1"))
    assert (answer.status, answer.code) == (
        400, "IllegalLocationConstraintException")
    assert answer.message == (
        "The eu-central-1 location constraint is incompatible for the region "
        "specific endpoint this request was sent to.")
    answer = signed(ca, "PUT", url, "eu-west-1")
    assert (answer.status, answer.code) == (
        400, "IllegalLocationConstraintException")
    answer = signed(ca, "PUT", url, "us-east-1",
                    body=create_bucket_body("eu-west-1"))
    assert (answer.status, answer.code) == (400,
                                            "AuthorizationHeaderMalformed")
    assert name not in front.bucket_regions
    answer = signed(ca, "PUT", url, "eu-west-1",
                    body=create_bucket_body("eu-west-1"))
    assert answer.status == 200
    assert front.bucket_regions[name] == "eu-west-1"


def test_presigned_url_for_the_wrong_region(front, ca):
    answer = presigned(ca, "GET", "https://s3.eu-central-1.amazonaws.com/b/k",
                       "us-east-1")
    assert (answer.status, answer.code) == (
        400, "AuthorizationQueryParametersError")
    assert answer.message == (
        "Error parsing the X-Amz-Credential parameter; the region 'us-east-1' "
        "is wrong; expecting 'eu-central-1'")


def test_presigned_url_expiry(front, ca):
    url = "https://s3.amazonaws.com/b/k"
    answer = presigned(ca, "GET", url, "us-east-1", expires=60)
    assert answer.status != 403 or answer.message != "Request has expired"
    front.clock_offset = 120
    answer = presigned(ca, "GET", url, "us-east-1", expires=60)
    assert (answer.status, answer.code, answer.message) == (
        403, "AccessDenied", "Request has expired")
    answer = presigned(ca, "GET", url, "us-east-1", expires=604801)
    assert (answer.status, answer.code) == (
        400, "AuthorizationQueryParametersError")


def test_query_service_signed_for_another_region(front, ca):
    answer = signed(ca, "POST", "https://ec2.eu-central-1.amazonaws.com/",
                    "us-east-1", service="ec2",
                    body=b"Action=DescribeRegions&Version=2016-11-15",
                    headers={"Content-Type":
                             "application/x-www-form-urlencoded"})
    assert (answer.status, answer.code) == (401, "AuthFailure")
    assert answer.message == ("Credential should be scoped to a valid region, "
                              "not 'us-east-1'.")
    assert answer.body.count("<Response><Errors><Error>") == 1
    assert answer.tag("RequestID")


# ---- other refusals ----------------------------------------------------------

def test_s3_sigv2_is_refused(front, ca):
    s3 = client(ca, "s3", "us-east-1", signature_version="s3")
    with pytest.raises(ClientError) as caught:
        s3.list_buckets()
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidRequest"
    assert error["Error"]["Message"] == (
        "The authorization mechanism you have provided is not supported. "
        "Please use AWS4-HMAC-SHA256.")
    assert front.requests[-1].auth == "sigv2"
    # The SigV2 query form (old presigned URLs) too.
    request = AWSRequest(method="GET", url="https://s3.amazonaws.com/b/k")
    HmacV1QueryAuth(Credentials(TEST_ACCESS_KEY, TEST_SECRET_KEY)).add_auth(
        request)
    answer = send(ca, "GET", request.url)
    assert (answer.status, answer.code) == (400, "InvalidRequest")
    assert front.requests[-1].auth == "sigv2-query"


def test_ec2_sigv2_is_refused(front, ca):
    ec2 = client(ca, "ec2", "eu-central-1", signature_version="v2")
    with pytest.raises(ClientError) as caught:
        ec2.describe_regions()
    error = caught.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 401
    assert error["Error"]["Code"] == "AuthFailure"
    assert error["Error"]["Message"] == (
        "AWS was not able to validate the provided access credentials")
    assert front.requests[-1].auth == "sigv2-query"


def test_tampered_signature(front, ca):
    answer = signed(ca, "GET", "https://s3.amazonaws.com/", "us-east-1",
                    tamper=True)
    assert (answer.status, answer.code) == (403, "SignatureDoesNotMatch")
    assert answer.tag("CanonicalRequest").startswith("GET\n/\n")
    assert front.last_failure["canonical_request"].startswith("GET\n/\n")
    answer = signed(ca, "POST", "https://ec2.us-east-1.amazonaws.com/",
                    "us-east-1", service="ec2", tamper=True,
                    body=b"Action=DescribeRegions&Version=2016-11-15",
                    headers={"Content-Type":
                             "application/x-www-form-urlencoded"})
    assert (answer.status, answer.code) == (403, "SignatureDoesNotMatch")


def test_tampered_payload(front, ca, unique_bucket):
    answer = signed(ca, "PUT", "https://s3.amazonaws.com/%s/k"
                    % unique_bucket(), "us-east-1", body=b"signed",
                    send_body=b"sent")
    assert (answer.status, answer.code) == (400, "XAmzContentSHA256Mismatch")
    assert answer.tag("ClientComputedContentSHA256") == hashlib.sha256(
        b"signed").hexdigest()


def test_unknown_access_key(front, ca):
    answer = signed(ca, "GET", "https://s3.amazonaws.com/", "us-east-1",
                    access_key="AKIDUNKNOWN")
    assert (answer.status, answer.code) == (403, "InvalidAccessKeyId")
    answer = signed(ca, "POST", "https://ec2.us-east-1.amazonaws.com/",
                    "us-east-1", service="ec2", access_key="AKIDUNKNOWN",
                    body=b"Action=DescribeRegions&Version=2016-11-15",
                    headers={"Content-Type":
                             "application/x-www-form-urlencoded"})
    assert (answer.status, answer.code) == (401, "AuthFailure")


def test_anonymous_s3_is_denied(front, ca):
    answer = send(ca, "GET", "https://s3.amazonaws.com/")
    assert (answer.status, answer.code) == (403, "AccessDenied")
    assert front.requests[-1].auth == "anonymous"


def test_clock_skew(front, ca):
    front.clock_offset = 3600
    answer = signed(ca, "GET", "https://s3.amazonaws.com/", "us-east-1")
    assert (answer.status, answer.code) == (403, "RequestTimeTooSkewed")
    assert answer.tag("ServerTime")
    served = time.mktime(time.strptime(answer.headers["Date"],
                                       "%a, %d %b %Y %H:%M:%S GMT"))
    assert abs(served - time.mktime(time.gmtime()) - 3600) < 60
    answer = signed(ca, "POST", "https://ec2.us-east-1.amazonaws.com/",
                    "us-east-1", service="ec2",
                    body=b"Action=DescribeRegions&Version=2016-11-15",
                    headers={"Content-Type":
                             "application/x-www-form-urlencoded"})
    assert (answer.status, answer.code) == (400, "RequestExpired")


# ---- TLS ---------------------------------------------------------------------

def _handshake(ca, port, name="s3.amazonaws.com"):
    context = ssl.create_default_context(cafile=ca)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname=name):
            pass


def test_tls_with_the_wrong_host_certificate_fails(front, ca,
                                                   wrong_host_certs):
    _handshake(ca, front.https_port)  # the real certificate validates
    front.use_certs(wrong_host_certs)
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        _handshake(ca, front.https_port)
    assert "Hostname mismatch" in caught.value.verify_message
    with pytest.raises(SSLError):
        client(ca, "s3", "us-east-1").list_buckets()
    assert front.requests == []


def test_tls_with_an_untrusted_ca_fails(front, ca, untrusted_certs):
    front.use_certs(untrusted_certs)
    with pytest.raises(ssl.SSLCertVerificationError) as caught:
        _handshake(ca, front.https_port)
    assert "unable to get local issuer" in caught.value.verify_message
    with pytest.raises(SSLError):
        client(ca, "ec2", "us-east-1").describe_regions()
    assert front.requests == []
