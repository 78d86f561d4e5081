"""No secret key, session token or signature reaches a log, an exception
message or a repr, at any level, boto's own DEBUG logging included."""
import logging
import re

import boto
import boto.ec2
import pytest
from boto.connection import HTTPRequest
from boto.exception import S3ResponseError

from boto_sigv4_shim import redact
from tests.support.front import TEST_ACCESS_KEY, TEST_SECRET_KEY

TOKEN = "FQoGZXIvYXdzEJr//////////wEaDShimTestSessionToken+abc/123=="


class Capture(logging.Handler):
    def __init__(self):
        logging.Handler.__init__(self, logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def debug_logs():
    """Everything logged anywhere at DEBUG, formatted as a handler would."""
    capture = Capture()
    capture.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    boto.set_stream_logger("boto", logging.DEBUG)  # what legacy code does
    try:
        yield capture.lines
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)
        boto_logger = logging.getLogger("boto")
        for handler in list(boto_logger.handlers):
            boto_logger.removeHandler(handler)
        boto_logger.setLevel(logging.NOTSET)


def signatures(front):
    found = set()
    for record in front.requests:
        authz = record.header("Authorization") or ""
        found.update(re.findall(r"Signature=([0-9a-f]{64})", authz))
        found.update(re.findall(r"X-Amz-Signature=([0-9a-f]{64})",
                                record.query or ""))
    return found


def test_debug_logs_carry_no_secrets(front, debug_logs, unique_bucket, capsys):
    s3 = boto.connect_s3(security_token=TOKEN)
    bucket = s3.create_bucket(unique_bucket())
    bucket.new_key("k").set_contents_from_string("v")
    bucket.get_key("k").get_contents_as_string()
    url = s3.generate_url(60, "GET", bucket.name, "k")
    ec2 = boto.ec2.connect_to_region("eu-west-1", security_token=TOKEN)
    ec2.get_all_zones()
    with pytest.raises(S3ResponseError):
        s3.get_bucket(unique_bucket())  # a 404 path, logged by boto
    sigs = signatures(front) | set(re.findall(r"X-Amz-Signature=([0-9a-f]+)",
                                              url))
    assert len(sigs) >= 6
    assert all(r.header("X-Amz-Security-Token") == TOKEN
               for r in front.requests)  # the token is sent...
    text = "\n".join(debug_logs) + capsys.readouterr().err
    assert "Authorization" in text and "Token: " in text  # boto did log
    for secret in [TEST_SECRET_KEY, TOKEN] + sorted(sigs):
        assert secret not in text  # ...but never logged
    assert TEST_ACCESS_KEY in text  # key ids are not secret; logs stay useful
    assert redact.REDACTED in text


def test_request_repr_has_no_secrets(front):
    s3 = boto.connect_s3(security_token=TOKEN)
    request = s3.build_base_http_request("GET", "/", None, headers={})
    request.authorize(connection=s3)
    text = str(request)
    assert TOKEN not in text and TEST_SECRET_KEY not in text
    assert "Signature=[redacted]" in text


def test_signature_mismatch_error_carries_no_token(front, unique_bucket):
    """S3 echoes the canonical request (token included) in its error body."""
    s3 = boto.connect_s3(aws_secret_access_key="not-the-right-secret-key-00",
                         security_token=TOKEN)
    with pytest.raises(S3ResponseError) as info:
        s3.create_bucket(unique_bucket())
    assert info.value.error_code == "SignatureDoesNotMatch"
    assert "<CanonicalRequest>" in str(info.value)  # the echo is there...
    for text in (str(info.value), repr(info.value), info.value.body):
        assert TOKEN not in text  # ...without the token
        assert "not-the-right-secret-key-00" not in text


@pytest.mark.parametrize("line,expected", [
    ("Token: abcdefghijkl", "Token: [redacted]"),
    ("Token: None", "Token: None"),
    ("{'Authorization': 'AWS AKIDEXAMPLE12345:frJIUN8DYpKDtOLCwo//yllqDzg='}",
     "{'Authorization': 'AWS AKIDEXAMPLE12345:[redacted]'}"),
    ("AWS4-HMAC-SHA256 Credential=AK/20261129/us-east-1/s3/aws4_request, "
     "SignedHeaders=host, Signature=" + "ab" * 32,
     "AWS4-HMAC-SHA256 Credential=AK/20261129/us-east-1/s3/aws4_request, "
     "SignedHeaders=host, Signature=[redacted]"),
    ("https://b.s3.amazonaws.com/k?X-Amz-Security-Token=tok%2Fen&"
     "X-Amz-Signature=" + "cd" * 32,
     "https://b.s3.amazonaws.com/k?X-Amz-Security-Token=[redacted]&"
     "X-Amz-Signature=[redacted]"),
    ("Signature:\n" + "ef" * 32, "Signature:\n[redacted]"),
    ("Action=AssumeRoleWithWebIdentity&WebIdentityToken=eyJhbGciOi.x.y&x=1",
     "Action=AssumeRoleWithWebIdentity&WebIdentityToken=[redacted]&x=1"),
])
def test_scrub_patterns(line, expected):
    assert redact.scrub(line) == expected


def test_remembered_secret_scrubbed_anywhere():
    redact.remember("sEcReT/Value+123456")
    assert redact.scrub("oops sEcReT/Value+123456 leaked") == \
        "oops [redacted] leaked"


def test_filter_never_breaks_logging():
    record = logging.LogRecord("boto", logging.DEBUG, __file__, 1,
                               "%s %s", ("only one",), None)
    assert redact.FILTER.filter(record) is True  # bad args: left to logging
