"""Dropped connections, short answers and redirects, through a chaos proxy.

Route: ``S3Connection(host="127.0.0.1", port=<proxy>, is_secure=False,
calling_format=OrdinaryCallingFormat())`` against the front's plain-HTTP
listener, with :class:`tests.support.chaos.ChaosProxy` in between.  Plain
HTTP because the proxy must see request and answer boundaries to break them
at chosen points (a TLS proxy would only see ciphertext, and boto's TLS
path shares its retry loop with this one); 127.0.0.1 because it needs no
name routing: the front verifies SigV4 for it as an S3-compatible store and
passes the requests to moto.  The query-service redirect tests instead route
``ec2.us-east-1.amazonaws.com:80`` to the proxy (route config ports).

What must hold: a retry after a dropped connection is re-signed with a fresh
date and re-sends the whole body (from where the upload began in the file);
a body cut short raises, never comes back as data; a redirect never carries
credentials off the configured endpoint or AWS's hosts of its partition.

The normal suite runs one fixed-seed round; ``SHIM_STRESS=1`` (``make
stress``) runs many rounds with several seeds.
"""
import io
import json
import os
import random
import socket
import time

try:
    import http.client as http_client
except ImportError:  # pragma: no cover
    import httplib as http_client

import boto
import boto.connection
import boto.ec2
import pytest
from boto.s3.connection import OrdinaryCallingFormat, S3Connection
from boto.s3.key import Key

from boto_sigv4_shim import clock, transport
from boto_sigv4_shim.errors import RedirectRefused
from tests.support import clients, route
from tests.support.chaos import ChaosProxy

STRESS = os.environ.get("SHIM_STRESS") == "1"
SEED = int(os.environ.get("SHIM_CHAOS_SEED", "20261129"))
MiB = 1 << 20
SIZES = [0, 1, 1000, 8192, 8193, 65537, 300001, MiB, 3 * MiB + 7]
RATES = {"reset_request": 0.08, "reset_after_request": 0.05,
         "forward_then_reset": 0.05, "cut_response": 0.10}
# What a call may raise when every try failed (or a body was cut short).
TRANSPORT_ERRORS = (socket.error, http_client.HTTPException, socket.timeout)


class _QuickTime(object):
    """boto.connection's ``time`` with short back-off sleeps (the schedule
    and the retry count stay boto's)."""

    def __init__(self, on_sleep=None):
        self.on_sleep = on_sleep

    def __getattr__(self, name):
        return getattr(time, name)

    def sleep(self, seconds):
        if self.on_sleep is not None:
            self.on_sleep(seconds)
        time.sleep(min(seconds, 0.02))


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    quick = _QuickTime()
    monkeypatch.setattr(boto.connection, "time", quick)
    clock.set_offset(0)
    yield quick
    clock.set_offset(0)


def _data(rng, size):
    return bytes(bytearray(rng.getrandbits(8) for _ in range(size))) \
        if size < 4096 else (rng.getrandbits(size * 8).to_bytes(size, "little"))


def s3_via(port, timeout=10):
    conn = S3Connection(host="127.0.0.1", port=port, is_secure=False,
                        calling_format=OrdinaryCallingFormat())
    conn.http_connection_kwargs["timeout"] = timeout
    return conn


@pytest.fixture
def proxied(front):
    """A factory of chaos proxies in front of the front's HTTP listener."""
    made = []

    def make(**kwargs):
        proxy = ChaosProxy(front.http_port, **kwargs).start()
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.stop()


@pytest.fixture
def bucket_name(front, unique_bucket):
    name = unique_bucket("chaos")
    s3_via(front.http_port).create_bucket(name)
    front.clear()
    return name


def _fresh_dates(proxy, slack=10):
    """Every request the proxy saw was signed at most ``slack`` s before it
    arrived (plus the clock offset in force): nothing stale was replayed."""
    for seen in proxy.log:
        stamp = transport.parse_amz_date(seen.header("x-amz-date", ""))
        assert stamp is not None, seen
        assert abs(seen.at + clock.offset() - stamp) < slack, seen


def _signatures_all_valid(front):
    bad = [r for r in front.requests
           if r.error in ("SignatureDoesNotMatch", "XAmzContentSHA256Mismatch",
                          "RequestTimeTooSkewed", "IncompleteBody")]
    assert not bad, bad


# ---- the fixed-seed chaos run ------------------------------------------------------

def _round(seed, bucket_name, front, proxied):
    rng = random.Random(seed)
    proxy = proxied(seed=seed, rates=RATES)
    conn = s3_via(proxy.port)
    direct = s3_via(front.http_port).get_bucket(bucket_name, validate=False)
    bucket = conn.get_bucket(bucket_name, validate=False)
    outcome = {"uploaded": 0, "upload_raised": 0, "downloaded": 0,
               "download_raised": 0}
    for size in SIZES:
        data = _data(rng, size)
        name = "obj-%d-%d" % (seed, size)
        lead = rng.randint(0, 9)
        try:
            if lead % 2 and size:  # boto refuses a file at its EOF
                # From the middle of a file: a retry must rewind to here.
                handle = io.BytesIO(b"L" * lead + data)
                handle.seek(lead)
                Key(bucket, name).set_contents_from_file(handle)
            else:
                Key(bucket, name).set_contents_from_string(data)
        except TRANSPORT_ERRORS:
            outcome["upload_raised"] += 1
            continue
        outcome["uploaded"] += 1
        # What is stored is exactly what was sent.
        assert Key(direct, name).get_contents_as_string() == data
        for how in ("string", "file"):
            try:
                if how == "string":
                    got = Key(bucket, name).get_contents_as_string()
                else:
                    sink = io.BytesIO()
                    Key(bucket, name).get_contents_to_file(sink)
                    got = sink.getvalue()
            except TRANSPORT_ERRORS:
                outcome["download_raised"] += 1
                continue
            assert len(got) == len(data) and got == data, (name, how)
            outcome["downloaded"] += 1
    proxy.stop()
    return proxy, outcome


SEEDS = [SEED + n for n in range(25)] if STRESS else [SEED]


@pytest.mark.parametrize("seed", SEEDS)
def test_uploads_and_downloads_are_exact_or_raise(seed, front, proxied,
                                                  bucket_name):
    proxy, outcome = _round(seed, bucket_name, front, proxied)
    faults = proxy.faults()
    if seed == SEED:  # the fixed seed of the normal suite does break things
        assert sum(n for f, n in faults.items() if f != "pass") >= 3, faults
    assert outcome["uploaded"] >= len(SIZES) // 2, outcome
    assert outcome["downloaded"] >= 1, outcome
    _fresh_dates(proxy)
    _signatures_all_valid(front)
    # Every upload the server received was whole (the proxy never forwards
    # a partial body, and the front would refuse one by its hash).
    for seen in proxy.log:
        if seen.response_status is not None:
            assert seen.received == seen.declared, seen
    assert not proxy.errors, proxy.errors


# ---- targeted faults ----------------------------------------------------------------

def test_retry_after_reset_is_resigned_and_resends_everything(
        front, proxied, bucket_name, quick_backoff):
    proxy = proxied(script=[("reset_request", None),
                            ("reset_after_request", None)])
    # Between tries the clock moves on by 2 minutes: a replayed signature
    # would carry the old date.
    quick_backoff.on_sleep = lambda s: clock.set_offset(clock.offset() + 120)
    data = _data(random.Random(1), 700001)
    handle = io.BytesIO(b"HEADER" + data)
    handle.seek(6)
    bucket = s3_via(proxy.port).get_bucket(bucket_name, validate=False)
    Key(bucket, "resent").set_contents_from_file(handle)
    puts = [s for s in proxy.log if s.method == "PUT"]
    assert [s.fault for s in puts] == ["reset_request", "reset_after_request",
                                       "pass"]
    dates = [transport.parse_amz_date(s.header("x-amz-date")) for s in puts]
    assert dates[1] - dates[0] >= 110 and dates[2] - dates[1] >= 110, dates
    assert len(set(s.header("authorization") for s in puts)) == 3
    assert puts[0].received < puts[0].declared
    assert [s.received for s in puts[1:]] == [len(data)] * 2
    assert [(r.method, r.status, r.body_length) for r in front.requests] == [
        ("PUT", 200, len(data))]
    direct = s3_via(front.http_port).get_bucket(bucket_name, validate=False)
    assert Key(direct, "resent").get_contents_as_string() == data


def test_answer_lost_after_the_server_acted_is_retried(front, proxied,
                                                       bucket_name):
    proxy = proxied(script=[("forward_then_reset", None)])
    bucket = s3_via(proxy.port).get_bucket(bucket_name, validate=False)
    Key(bucket, "twice").set_contents_from_string(b"z" * 5000)
    assert [(r.method, r.status) for r in front.requests] == [("PUT", 200)] * 2
    _fresh_dates(proxy)


def test_timeout_before_the_answer_is_retried(front, proxied, bucket_name):
    proxy = proxied(script=[("stall", None)], stall_seconds=2.5)
    bucket = s3_via(proxy.port, timeout=1).get_bucket(bucket_name,
                                                     validate=False)
    Key(bucket, "slow").set_contents_from_string(b"s" * 2000)
    assert [s.fault for s in proxy.log] == ["stall", "pass"]
    assert Key(bucket, "slow").get_contents_as_string() == b"s" * 2000


@pytest.mark.parametrize("how", ["string", "file", "iterate"])
def test_short_body_raises(front, proxied, bucket_name, how):
    data = _data(random.Random(2), 200000)
    Key(s3_via(front.http_port).get_bucket(bucket_name, validate=False),
        "k").set_contents_from_string(data)
    proxy = proxied(script=[("cut_response", None)])
    key = Key(s3_via(proxy.port).get_bucket(bucket_name, validate=False), "k")
    with pytest.raises(http_client.IncompleteRead):
        if how == "string":
            key.get_contents_as_string()
        elif how == "file":
            key.get_contents_to_file(io.BytesIO())
        else:
            key.open_read()
            b"".join(iter(lambda: key.resp.read(8192), b""))
    assert proxy.log[0].relayed < len(data)


def test_without_the_guard_boto_would_return_short_data(front, proxied,
                                                        bucket_name,
                                                        monkeypatch):
    """The premise of the guard: boto 2 on this Python takes a body cut
    short (clean close) for the whole object."""
    data = _data(random.Random(3), 100000)
    Key(s3_via(front.http_port).get_bucket(bucket_name, validate=False),
        "k").set_contents_from_string(data)
    monkeypatch.setattr(transport, "guard_length", lambda response: response)
    proxy = proxied(script=[("cut_response", None)])
    key = Key(s3_via(proxy.port).get_bucket(bucket_name, validate=False), "k")
    try:
        got = key.get_contents_as_string()
    except http_client.IncompleteRead:
        pytest.skip("this Python raises IncompleteRead by itself")
    assert len(got) < len(data)


def test_query_service_answer_cut_short_raises(front):
    response = _FakeResponse(b"<DescribeRegionsResponse>", 100)
    transport.guard_length(response)
    with pytest.raises(http_client.IncompleteRead):
        while response.read(10):
            pass


class _FakeResponse(object):
    def __init__(self, body, length):
        self._body = body
        self.length = length

    def read(self, amt=None):
        data, self._body = (self._body, b"") if amt is None else (
            self._body[:amt], self._body[amt:])
        self.length -= len(data)
        return data


# ---- subprocess clients: the same on Python 2.7 -------------------------------------

SHORT_CLIENT = r'''
from __future__ import print_function
import json, sys
import boto_sigv4_shim
from boto.s3.connection import OrdinaryCallingFormat, S3Connection
from boto.s3.key import Key
port, bucket, size = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
conn = S3Connection(host="127.0.0.1", port=port, is_secure=False,
                    calling_format=OrdinaryCallingFormat())
key = Key(conn.get_bucket(bucket, validate=False), "k")
try:
    got = key.get_contents_as_string()
    print(json.dumps({"raised": None, "length": len(got)}))
except Exception as error:
    print(json.dumps({"raised": type(error).__name__, "length": None}))
'''


@pytest.mark.parametrize("version", ["2.7", "3.11"])
def test_short_body_raises_in_client(version, front, proxied, bucket_name,
                                     client_env, tmp_path):
    if version not in clients.EXPECTED_VERSIONS:
        pytest.skip("SHIM_CLIENT_VERSIONS leaves out Python %s" % version)
    python = clients.require_python(version)
    data = b"q" * 150000
    Key(s3_via(front.http_port).get_bucket(bucket_name, validate=False),
        "k").set_contents_from_string(data)
    proxy = proxied(script=[("cut_response", None)])
    script = tmp_path / "short_client.py"
    script.write_text(SHORT_CLIENT)
    proc = clients.run(python, [str(script), str(proxy.port), bucket_name,
                                str(len(data))], client_env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result == {"raised": "IncompleteRead", "length": None}, result
    assert proxy.log[0].relayed < len(data)


# ---- redirects of the query services ------------------------------------------------

def _redirect(location, status=301):
    return ("HTTP/1.1 %d Moved\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n"
            % (status, location)).encode("ascii")


@pytest.fixture
def ec2_via_proxy(front, proxied):
    """ec2.us-east-1.amazonaws.com:80 leads to a chaos proxy (then the
    front's HTTP listener); the route config is restored afterwards."""
    def make(script):
        proxy = proxied(script=script)
        config = front.route_config()
        config["ports"] = {"80": proxy.port, "443": front.https_port}
        route.activate(config)
        conn = boto.ec2.connect_to_region("us-east-1", is_secure=False)
        return proxy, conn

    yield make
    route.activate(front.route_config())


@pytest.mark.parametrize("location", [
    "http://evil.example.com/",
    "http://ec2.us-east-1.amazonaws.com.evil.test/",
    "http://user@ec2.us-east-1.amazonaws.com/",
    "http://ec2.us-east-1.amazonaws.com.cn/",   # another partition
    "ftp://ec2.us-east-1.amazonaws.com/",
    "/relative",
])
def test_query_redirect_off_the_endpoint_is_refused(front, ec2_via_proxy,
                                                    location):
    proxy, conn = ec2_via_proxy([("respond", _redirect(location))])
    with pytest.raises(RedirectRefused) as caught:
        conn.get_all_zones()
    assert "not following" in str(caught.value)
    assert len(proxy.log) == 1
    assert front.requests == []


def test_query_redirect_on_the_endpoint_is_resigned(front, ec2_via_proxy):
    location = "http://ec2.us-east-1.amazonaws.com:%d/?redirected=1" % (
        front.http_port)
    proxy, conn = ec2_via_proxy([("respond", _redirect(location, 307))])
    assert conn.get_all_zones()
    assert [(r.host, r.query, r.status) for r in front.requests] == [
        ("ec2.us-east-1.amazonaws.com:%d" % front.http_port, "redirected=1",
         200)]
    first = proxy.log[0].header("authorization")
    assert front.requests[0].header("authorization") != first


@pytest.mark.parametrize("secure,location,allowed", [
    (True, "https://ec2.us-east-1.amazonaws.com/x", True),
    (True, "http://ec2.us-east-1.amazonaws.com/x", False),   # downgrade
    (True, "https://ec2.eu-west-1.amazonaws.com/", True),    # same partition
    (True, "https://s3.amazonaws.com/", True),
    (True, "https://ec2.cn-north-1.amazonaws.com.cn/", False),
    (True, "https://amazonaws.com.evil.test/", False),
    (True, "//evil.example.com/", False),
    (False, "http://ec2.us-east-1.amazonaws.com/", True),
    (True, "https://EC2.US-EAST-1.AMAZONAWS.COM./", True),
])
def test_redirect_allowed_rules(secure, location, allowed):
    assert transport.redirect_allowed("ec2.us-east-1.amazonaws.com", secure,
                                      "us-east-1", location) is allowed


def test_redirect_rules_for_a_private_endpoint():
    host = "ec2.internal.example:8773"
    assert transport.redirect_allowed(host, False, "us-east-1",
                                      "http://ec2.internal.example:8774/a")
    assert not transport.redirect_allowed(
        host, False, "us-east-1", "http://ec2.us-east-1.amazonaws.com/")


def test_boto_errors_after_retries_are_boto_s(front, proxied, bucket_name):
    """All tries reset: the call raises a transport error, after 3 tries."""
    proxy = proxied(rates={"reset_after_request": 1.0})
    bucket = s3_via(proxy.port).get_bucket(bucket_name, validate=False)
    with pytest.raises(TRANSPORT_ERRORS):
        Key(bucket, "never").set_contents_from_string(b"n" * 100)
    assert len(proxy.log) == 3  # num_retries = 2 in the test boto config
    assert front.requests == []



def test_routed_s3_endpoint_through_chaos(front, proxied, unique_bucket):
    """The public-endpoint path (per-bucket routing, ``s3._send``) under the
    same faults: s3.amazonaws.com:80 is routed to the proxy."""
    proxy = proxied(seed=SEED + 1000, rates=RATES)
    config = front.route_config()
    config["ports"] = {"80": proxy.port, "443": front.https_port}
    route.activate(config)
    try:
        conn = boto.connect_s3(is_secure=False)
        conn.http_connection_kwargs["timeout"] = 10
        name = unique_bucket("chaosr")
        boto.connect_s3().create_bucket(name)       # TLS, no chaos
        bucket = conn.get_bucket(name, validate=False)
        rng = random.Random(SEED + 1000)
        ok = 0
        for size in (0, 5000, 200000, MiB + 1):
            data = _data(rng, size)
            try:
                Key(bucket, "r%d" % size).set_contents_from_string(data)
                got = Key(bucket, "r%d" % size).get_contents_as_string()
            except TRANSPORT_ERRORS:
                continue
            assert got == data
            ok += 1
        assert ok >= 2
    finally:
        route.activate(front.route_config())
    assert proxy.log and all(s.header("host").endswith("s3.amazonaws.com")
                             for s in proxy.log)
    assert set(proxy.faults()) - set(["pass"]), proxy.faults()
    _fresh_dates(proxy)
    _signatures_all_valid(front)
    assert not proxy.errors, proxy.errors
