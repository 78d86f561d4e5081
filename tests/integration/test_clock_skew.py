"""Clock skew: a client whose clock is off still gets every call through.

AWS refuses a request signed more than 15 minutes off its clock, and says so
differently per service (S3 403 RequestTimeTooSkewed, EC2 400
RequestExpired, the query services 403 SignatureDoesNotMatch "Signature
expired", a HEAD a bare 403).  The shim takes the server's time from the
answer's Date header, corrects :mod:`boto_sigv4_shim.clock`, re-signs and
sends once more; later requests use the corrected clock.

Three layers:
- the parsing of every signal (no network);
- in-process, with the *front's* clock moved (``front.clock_offset``);
- a subprocess client whose own clock is REALLY moved with libfaketime
  (``LD_PRELOAD``; the PyPI package ``libfaketime``, in
  requirements-test.txt, builds and ships the library), 2 hours ahead and
  1 hour behind, under the client environments for Python 3.11 and 2.7.
"""
import json
import logging
import os
import sys
import time

import boto
import boto.ec2
import boto.ec2.autoscale
import pytest
from boto.exception import S3ResponseError
from boto.s3.key import Key

from boto_sigv4_shim import clock, transport
from tests.support import clients

SKEW_ERRORS = ("RequestTimeTooSkewed", "RequestExpired",
               "SignatureDoesNotMatch")


@pytest.fixture(autouse=True)
def fresh_clock():
    clock.set_offset(0)
    yield
    clock.set_offset(0)


def _http_date(epoch):
    import email.utils
    return email.utils.formatdate(epoch, usegmt=True)


def _amz(epoch):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


# ---- parsing the signals ------------------------------------------------------

NOW = 1795000000.0  # a fixed instant: 2026-11-18T11:06:40Z

S3_SKEWED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>'
             b"RequestTimeTooSkewed</Code><Message>The difference between the "
             b"request time and the current time is too large.</Message>"
             b"<RequestTime>20261118T100000Z</RequestTime><ServerTime>"
             b"2026-11-18T08:00:00Z</ServerTime><MaxAllowedSkewMilliseconds>"
             b"900000</MaxAllowedSkewMilliseconds></Error>")
EC2_EXPIRED = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors>'
               b"<Error><Code>RequestExpired</Code><Message>Request has "
               b"expired.</Message></Error></Errors><RequestID>x</RequestID>"
               b"</Response>")
QUERY_EXPIRED = (b"<ErrorResponse><Error><Type>Sender</Type><Code>"
                 b"SignatureDoesNotMatch</Code><Message>Signature expired: "
                 b"20261118T060000Z is now earlier than 20261118T074500Z "
                 b"(20261118T080000Z - 15 min.)</Message></Error>"
                 b"</ErrorResponse>")
QUERY_NOT_YET = (b"<ErrorResponse><Error><Type>Sender</Type><Code>"
                 b"SignatureDoesNotMatch</Code><Message>Signature not yet "
                 b"current: 20261118T100000Z is still later than "
                 b"20261118T081500Z (20261118T080000Z + 15 min.)</Message>"
                 b"</Error></ErrorResponse>")
JSON_EXPIRED = json.dumps({
    "__type": "com.amazon.coral.service#InvalidSignatureException",
    "message": "Signature expired: 20261118T060000Z is now earlier than "
               "20261118T074500Z (20261118T080000Z - 15 min.)"}).encode()
SERVER_AT = 1794988800.0  # 2026-11-18T08:00:00Z, what the bodies above say


@pytest.mark.parametrize("status,body", [
    (403, S3_SKEWED), (400, EC2_EXPIRED), (403, QUERY_EXPIRED),
    (403, QUERY_NOT_YET), (400, JSON_EXPIRED)])
def test_explicit_signals_take_the_date_header(status, body):
    assert transport.skew_kind(status, body, "GET") == "explicit"
    served = transport.server_time_of(status, body, _http_date(NOW), "GET")
    assert served == NOW


@pytest.mark.parametrize("status,body", [
    (403, S3_SKEWED), (403, QUERY_EXPIRED), (403, QUERY_NOT_YET),
    (400, JSON_EXPIRED)])
def test_without_a_date_the_body_gives_the_server_time(status, body):
    assert transport.server_time_of(status, body, None, "PUT") == SERVER_AT


def test_without_any_time_nothing_is_corrected():
    assert transport.server_time_of(400, EC2_EXPIRED, None, "POST") is None
    assert transport.server_time_of(400, EC2_EXPIRED, "garbage", "POST") \
        is None


def test_bare_403_to_a_head_counts_only_beyond_five_minutes():
    date = _http_date(NOW)
    assert transport.skew_kind(403, b"", "HEAD") == "bare"
    assert transport.server_time_of(403, b"", date, "HEAD",
                                    signed_at=NOW + 7200) == NOW
    assert transport.server_time_of(403, b"", date, "HEAD",
                                    signed_at=NOW - 301) == NOW
    assert transport.server_time_of(403, b"", date, "HEAD",
                                    signed_at=NOW - 299) is None
    assert transport.server_time_of(403, b"", date, "HEAD") is None
    # Only a HEAD's 403 may come without a body.
    assert transport.server_time_of(403, b"", date, "GET",
                                    signed_at=NOW + 7200) is None


@pytest.mark.parametrize("status,body", [
    (403, b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
          b"</Error>"),
    (403, b"<Error><Code>SignatureDoesNotMatch</Code><Message>The request "
          b"signature we calculated does not match</Message></Error>"),
    (400, b'{"__type": "InvalidSignatureException", "message": "bad"}'),
    (403, EC2_EXPIRED),       # RequestExpired is a 400
    (400, S3_SKEWED),         # RequestTimeTooSkewed is a 403
    (500, S3_SKEWED),
    (200, b""),
])
def test_other_answers_are_no_skew(status, body):
    assert transport.skew_kind(status, body, "GET") is None
    assert transport.server_time_of(status, body, _http_date(NOW), "GET",
                                    signed_at=NOW + 7200) is None


def test_error_fields_of_each_shape():
    assert transport.error_fields(S3_SKEWED)[0] == "RequestTimeTooSkewed"
    assert transport.error_fields(JSON_EXPIRED) == (
        "InvalidSignatureException",
        "Signature expired: 20261118T060000Z is now earlier than "
        "20261118T074500Z (20261118T080000Z - 15 min.)")
    assert transport.error_fields(b"") == (None, None)
    assert transport.error_fields(b"{not json") == (None, None)
    assert transport.parse_amz_date("20261118T080000Z") == SERVER_AT
    assert transport.parse_amz_date("nope") is None
    assert transport.parse_http_date("Wed, 18 Nov 2026 08:00:00 GMT") == \
        SERVER_AT


def test_correction_logs_one_warning_per_real_change(caplog):
    caplog.set_level(logging.DEBUG, logger="boto_sigv4_shim")
    transport.correct_clock(time.time() + 7200, "s3.amazonaws.com",
                            "RequestTimeTooSkewed")
    assert abs(clock.offset() - 7200) < 2
    # A second thread reporting the same skew changes nothing, logs nothing.
    transport.correct_clock(time.time() + 7201, "s3.amazonaws.com",
                            "RequestTimeTooSkewed")
    assert abs(clock.offset() - 7200) < 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "+7200 s" in warnings[0].getMessage()
    assert warnings[0].name == "boto_sigv4_shim"


# ---- in process: the front's clock moved ------------------------------------------

def _skew_rejections(front):
    return [r for r in front.requests
            if r.error in SKEW_ERRORS or (r.method == "HEAD"
                                          and r.status == 403)]


@pytest.fixture
def fixture_bucket(front, unique_bucket):
    """A bucket with key "k" = b"known", made with the right clock."""
    name = unique_bucket("skew")
    bucket = boto.connect_s3().create_bucket(name)
    Key(bucket, "k").set_contents_from_string(b"known")
    front.clear()
    return name


def _s3_head(name):
    boto.connect_s3().get_bucket(name)


def _s3_get(name):
    assert Key(boto.connect_s3().get_bucket(name, validate=False),
               "k").get_contents_as_string() == b"known"


def _s3_put(name):
    bucket = boto.connect_s3().get_bucket(name, validate=False)
    Key(bucket, "put").set_contents_from_string(b"x" * 1000)
    assert Key(bucket, "put").get_contents_as_string() == b"x" * 1000


def _ec2(name):
    assert boto.ec2.connect_to_region("us-east-1").get_all_zones()


def _autoscaling(name):
    boto.ec2.autoscale.connect_to_region("us-east-1").get_all_groups()


OPERATIONS = {"head": _s3_head, "get": _s3_get, "put": _s3_put, "ec2": _ec2,
              "autoscaling": _autoscaling}
EXPECTED_SIGNAL = {"head": (403, "403"), "get": (403, "RequestTimeTooSkewed"),
                   "put": (403, "RequestTimeTooSkewed"),
                   "ec2": (400, "RequestExpired"),
                   "autoscaling": (403, "SignatureDoesNotMatch")}


@pytest.mark.parametrize("first", sorted(OPERATIONS))
@pytest.mark.parametrize("front_offset", [7200, -3600])
def test_skewed_front_one_rejection_then_all_pass(front, fixture_bucket,
                                                   first, front_offset,
                                                   caplog):
    caplog.set_level(logging.WARNING, logger="boto_sigv4_shim")
    front.clock_offset = front_offset
    for name in [first] + sorted(set(OPERATIONS) - set([first])):
        OPERATIONS[name](fixture_bucket)
    rejected = _skew_rejections(front)
    assert [(r.status, r.error) for r in rejected] == [EXPECTED_SIGNAL[first]]
    assert abs(clock.offset() - front_offset) < 3
    assert [r for r in front.requests if r.status != 200] == rejected
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings


def test_skew_retry_happens_once(front, fixture_bucket, monkeypatch):
    """A server that keeps refusing gets the request twice, not more."""
    front.clock_offset = 7200
    # Every correction lands 2 hours off again: the retry is still refused.
    real = transport.correct_clock
    monkeypatch.setattr(transport, "correct_clock",
                        lambda served, *a: real(served - 7200, *a))
    with pytest.raises(S3ResponseError) as caught:
        _s3_get(fixture_bucket)
    assert caught.value.error_code == "RequestTimeTooSkewed"
    assert [(r.method, r.error) for r in front.requests] == [
        ("GET", "RequestTimeTooSkewed")] * 2


def test_other_403s_are_not_retried(front, fixture_bucket):
    conn = boto.connect_s3(aws_access_key_id="AKIDUNKNOWN",
                           aws_secret_access_key="wrong")
    with pytest.raises(S3ResponseError):
        conn.get_bucket(fixture_bucket)          # HEAD: bare 403, clock right
    with pytest.raises(S3ResponseError):
        Key(conn.get_bucket(fixture_bucket, validate=False),
            "k").get_contents_as_string()
    assert [(r.method, r.status) for r in front.requests] == [
        ("HEAD", 403), ("GET", 403)]
    assert clock.offset() == 0


# ---- a subprocess whose clock is really moved ---------------------------------------

CLIENT = r'''
from __future__ import print_function
import json, logging, sys, time
logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                    format="LOG %(levelname)s %(name)s %(message)s")
import boto, boto.ec2, boto.ec2.autoscale
from boto.s3.key import Key

bucket_name, first = sys.argv[1], sys.argv[2]
print(json.dumps({"step": "time", "now": time.time()}))

def s3():
    return boto.connect_s3()

def head():
    s3().get_bucket(bucket_name)

def get():
    body = Key(s3().get_bucket(bucket_name, validate=False),
               "k").get_contents_as_string()
    assert body == b"known", body

def put():
    bucket = s3().get_bucket(bucket_name, validate=False)
    payload = b"p" * 70000
    Key(bucket, "put-%d" % sys.version_info[0]).set_contents_from_string(
        payload)
    assert Key(bucket, "put-%d" % sys.version_info[0]
               ).get_contents_as_string() == payload

def ec2():
    assert boto.ec2.connect_to_region("us-east-1").get_all_zones()

def autoscaling():
    boto.ec2.autoscale.connect_to_region("us-east-1").get_all_groups()

ops = {"head": head, "get": get, "put": put, "ec2": ec2,
       "autoscaling": autoscaling}
for name in [first] + sorted(set(ops) - set([first])):
    ops[name]()
    print(json.dumps({"step": name, "ok": True}))
import boto_sigv4_shim.clock
print(json.dumps({"step": "offset", "offset": boto_sigv4_shim.clock.offset()}))
'''


def _faketime_env():
    try:
        import libfaketime
    except ImportError:
        pytest.skip("libfaketime is not installed (pip install -r "
                    "requirements-test.txt installs it)")
    needs_reload, env = libfaketime.get_reload_information()
    library = os.path.join(env["LD_LIBRARY_PATH"], env["LD_PRELOAD"])
    if not sys.platform.startswith("linux") or not os.path.exists(library):
        pytest.skip("no libfaketime library at %s" % library)
    env = {"LD_PRELOAD": library, "DONT_FAKE_MONOTONIC": "1",
           "FAKETIME_NO_CACHE": "1"}
    if not _PROBED:
        # The wheel ships an x86-64 glibc build: say so if it cannot load.
        probe = clients.run(sys.executable, ["-c", "import time; "
                                             "print(time.time())"],
                            dict(env, FAKETIME="+2h", PATH="/usr/bin:/bin"))
        moved = probe.returncode == 0 and \
            float(probe.stdout.strip() or 0) - time.time() > 3600
        assert moved, ("libfaketime at %s does not move the clock on this "
                       "machine (%s): %s" % (library, os.uname()[4],
                                             probe.stderr))
        _PROBED.append(True)
    return env


_PROBED = []


CASES = [("3.11", first, fake) for first in sorted(OPERATIONS)
         for fake in ("+2h", "-1h")]
CASES += [("2.7", "put", "+2h"), ("2.7", "head", "-1h"),
          ("2.7", "ec2", "-1h"), ("2.7", "autoscaling", "+2h")]


@pytest.mark.parametrize("version,first,fake", CASES)
def test_client_with_a_really_wrong_clock(version, first, fake, front,
                                          fixture_bucket, client_env,
                                          test_certs, tmp_path):
    if version not in clients.EXPECTED_VERSIONS:
        pytest.skip("SHIM_CLIENT_VERSIONS leaves out Python %s" % version)
    python = clients.require_python(version)
    script = tmp_path / "skewed_client.py"
    script.write_text(CLIENT)
    env = dict(client_env, SSL_CERT_FILE=test_certs.ca, FAKETIME=fake,
               **_faketime_env())
    proc = clients.run(python, ["-m", "boto_sigv4_shim", str(script),
                                fixture_bucket, first], env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    steps = dict((d["step"], d) for d in
                 (json.loads(line) for line in proc.stdout.splitlines()))
    expected = 7200 if fake == "+2h" else -3600
    # The clock really is moved in there ...
    assert abs(steps["time"]["now"] - time.time() - expected) < 120
    assert set(steps) >= set(OPERATIONS)
    # ... and the shim learnt to sign 2 hours behind / 1 hour ahead of it.
    assert abs(steps["offset"]["offset"] + expected) < 120
    rejected = _skew_rejections(front)
    assert [(r.status, r.error) for r in rejected] == [EXPECTED_SIGNAL[first]]
    assert [r for r in front.requests if r.status != 200] == rejected
    warning_lines = [line for line in proc.stderr.splitlines()
                     if line.startswith("LOG WARNING boto_sigv4_shim")]
    assert len(warning_lines) == 1, proc.stderr
    assert "clock skew" in warning_lines[0]
    assert "Traceback" not in proc.stderr

