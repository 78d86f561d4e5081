"""Hostile input to everything that reads a region, bucket, key or host name
from config or the environment (hypothesis: text and binary, Unicode,
control characters, ``..``, ``@``, ``:``, ``#``, ``%2e``, IDNA).

Properties:
- no crash but the documented exceptions: ``InvalidRegionError`` and
  ``UnknownHostError`` (both ``ValueError``), a plain ``ValueError`` where a
  function documents one (``service_host``'s service prefix,
  ``signer.parse_query``'s invalid UTF-8, ``signer.host_header``'s non-host);
- every host the shim builds ends with ``.`` + the partition's DNS suffix and
  matches ``^[a-z0-9.-]+$``;
- whatever a parser accepts is itself well formed (a region of a partition,
  a host of ``[a-z0-9._-]``, a Host header with no white space or delimiter).

``make test`` runs a fixed-seed slice; ``make fuzz`` sets
``SHIM_FUZZ_EXAMPLES`` (e.g. 50000) for a long run.
"""
import os
import re

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, example, given, settings

from boto_sigv4_shim import regions, settings as shim_settings, signer
from boto_sigv4_shim.errors import InvalidRegionError, UnknownHostError

FUZZ = int(os.environ.get("SHIM_FUZZ_EXAMPLES", "0") or 0)
HOST_RE = re.compile(r"\A[a-z0-9.-]+\Z")
SPLIT_HOST_RE = re.compile(r"\A[a-z0-9._-]+\Z")


def _settings(default):
    return settings(max_examples=FUZZ or default, derandomize=not FUZZ,
                    deadline=None, database=None, print_blob=True,
                    suppress_health_check=list(HealthCheck))


_NASTY = [
    "..", ".", "@", ":", "#", "%2e", "%2E%2e", "/", "\\", "?", "%", "%00",
    "\x00", "\n", "\r\n", "\t", " ", "\u3002", "\uff0e", "\u212a", "\u0130",
    "\u0131", "xn--", "xn--bcher-kva", "b\u00fccher", "\u0660", "\uff11",
    "\u00b2", "_", "-", "--", "us", "eu", "cn", "us-gov", "us-iso", "us-isob",
    "eu-isoe", "us-isof", "eusc-de", "east", "west", "central", "1", "-1",
    "amazonaws.com", "amazonaws.com.cn", "c2s.ic.gov", "sc2s.sgov.gov",
    "cloud.adc-e.uk", "csp.hci.ic.gov", "amazonaws.eu", "s3", "s3-", "s3.",
    "dualstack", "fips", "vpce", "external-1", "evil.com", "127.0.0.1",
    "[::1]", ":443", ":80", ":8443", ":x", "US", "EU", "", "\u200b", "\ufeff",
    "ec2", "bucket", "example.com", "@evil.com", "#@evil.com", "\x7f",
]
FRAGMENTS = st.sampled_from(_NASTY)
TEXTS = st.one_of(
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=4)), max_size=10)
    .map("".join),
    st.text(max_size=30),
    st.from_regex(r"\A(us|eu|ap|cn|us-gov|us-iso|us-isob|eu-isoe|us-isof|"
                  r"eusc-de|sa|me|af|il|mx|ca)-[a-z0-9]{1,9}-[0-9]{1,3}\Z"),
)
ANY = st.one_of(
    TEXTS,
    TEXTS.map(lambda t: t.encode("utf-8")),
    st.binary(max_size=30),
    st.none(), st.integers(), st.floats(allow_nan=True),
    st.lists(st.text(max_size=3), max_size=2),
)
REGIONISH = st.one_of(TEXTS, st.sampled_from(list(regions.KNOWN_REGIONS)))
HOSTISH = st.one_of(
    st.tuples(st.one_of(st.just(""), st.from_regex(r"\A[a-z0-9.-]{1,12}\.\Z"),
                        FRAGMENTS.map(lambda f: f + ".")),
              st.sampled_from(["s3", "s3-fips", "s3.dualstack", "s3-external-1",
                               "ec2", "sts", "bucket.vpce-1.s3"]),
              st.sampled_from([".", "-"]), REGIONISH,
              st.sampled_from([".amazonaws.com", ".amazonaws.com.cn",
                               ".c2s.ic.gov", ".amazonaws.eu", ".evil.com",
                               ".amazonaws.com.evil.com", ""]),
              st.sampled_from(["", ":443", ":8080", ":", ":x", ".", "#", "@x"]))
    .map("".join),
    TEXTS,
)
PARTITION_SUFFIXES = set(p.dns_suffix for p in regions.PARTITIONS)


def _assert_host_in_partition(host, region):
    suffix = regions.partition_of(region).dns_suffix
    assert host.endswith("." + suffix), (host, region)
    assert HOST_RE.match(host), host
    assert ".." not in host and not host.startswith(("-", "."))


def _assert_region(region):
    assert isinstance(region, str)
    assert regions.partition_of(region) is not None
    assert HOST_RE.match(region) and "." not in region
    for dualstack in (False, True):
        _assert_host_in_partition(regions.s3_host(region, dualstack), region)
    _assert_host_in_partition(regions.service_host("ec2", region), region)


@_settings(3000)
@given(value=st.one_of(ANY, REGIONISH))
@example(value=" eu-central-1\n")
@example(value="eu-central-1\n")
@example(value="EU-CENTRAL-1")
@example(value="eu-central-1.evil.com#")
@example(value="\u212aeu-central-1")
@example(value="eu-central-\u0661")
@example(value=b"eu-central-1")
@example(value=b"\xff")
def test_validate_region(value):
    try:
        region = regions.validate_region(value, "fuzz")
    except InvalidRegionError as error:
        assert "fuzz" in str(error)
        for builder in (regions.s3_host, regions.dns_suffix,
                        lambda r: regions.service_host("ec2", r)):
            with pytest.raises(InvalidRegionError):
                builder(value)
        return
    _assert_region(region)
    assert regions.s3_host(value) == regions.s3_host(region)


@_settings(2000)
@given(value=st.one_of(ANY, REGIONISH))
@example(value="auto")
@example(value="a" * 64)
@example(value="-x")
@example(value="x\n")
def test_validate_signing_token(value):
    try:
        token = regions.validate_signing_token(value, "fuzz")
    except InvalidRegionError:
        return
    assert re.match(r"\A[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z", token)


@_settings(3000)
@given(host=st.one_of(HOSTISH, ANY))
@example(host="bucket.s3.eu-central-1.amazonaws.com:443")
@example(host="s3.\u212aeu-central-1.amazonaws.com")
@example(host="b\u212aet.s3.amazonaws.com")
@example(host="s3.eu-central-1.amazonaws.com.evil.com")
@example(host="s3.eu-central-1.amazonaws.com@evil.com")
@example(host="s3.eu-central-1.amazonaws.com#.evil.com")
@example(host="s3.amazonaws.com.")
@example(host="s3\u3002amazonaws\u3002com")
@example(host="s3.cn-north-1.amazonaws.com")
@example(host=b"s3.eu-west-1.amazonaws.com")
def test_parse_s3_host(host):
    try:
        info = regions.parse_s3_host(host)
    except UnknownHostError:
        return
    assert info.kind in ("global", "regional", "aws-special", "custom")
    # accepted only as given: no lower-casing trick turns a non-ASCII name
    # (K KELVIN SIGN, dotless i, ...) into an AWS one
    text = host.decode("ascii") if isinstance(host, bytes) else host
    assert text.strip().lower().split(":")[0].rstrip(".") == info.host
    assert SPLIT_HOST_RE.match(info.host), info.host
    if info.kind != "custom":
        assert regions.aws_suffix_of(info.host) in PARTITION_SUFFIXES
    if info.region is not None:
        _assert_region(info.region)
    if info.kind == "regional":
        # the suffix named is the region's partition's
        suffix = regions.partition_of(info.region).dns_suffix
        assert info.host.endswith("." + suffix)
        _assert_host_in_partition(
            regions.s3_host(info.region, info.dualstack), info.region)


@_settings(2000)
@given(host=st.one_of(HOSTISH, ANY))
@example(host="ec2.eu-central-1.amazonaws.com.evil.com")
@example(host="ec2.\u212aeu-central-1.amazonaws.com")
def test_region_from_service_host(host):
    region = regions.region_from_service_host(host)
    if region is not None:
        _assert_region(region)
        assert regions.is_aws_host(host)


@_settings(2000)
@given(service=st.one_of(st.sampled_from(["ec2", "sts", "elasticloadbalancing",
                                          "monitoring", "autoscaling"]),
                         TEXTS, st.none(), st.binary(max_size=5)),
       region=st.one_of(ANY, REGIONISH))
@example(service="ec2\n", region="eu-central-1")
@example(service="evil.com#", region="eu-central-1")
@example(service=b"ec2", region="eu-central-1")
@example(service="-", region="")
@example(service="ec2-", region="eu-central-1")
def test_service_host(service, region):
    try:
        host = regions.service_host(service, region)
    except ValueError:  # InvalidRegionError, or the service prefix's
        return
    if isinstance(service, bytes):
        service = service.decode("ascii")
    assert isinstance(service, str) and re.match(
        r"\A[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z", service)
    _assert_host_in_partition(host, regions.validate_region(region))
    assert host.startswith(service + ".")


class _Config(object):
    def __init__(self, values):
        self.values = values

    def get(self, section, option, default=None):
        return self.values.get((section, option), default)


@_settings(1500)
@given(value=st.one_of(TEXTS, st.lists(HOSTISH, max_size=4).map(",".join)),
       in_env=st.booleans(), host=st.one_of(HOSTISH, st.none(), st.just("")))
@example(value=".amazonaws.com", in_env=True, host="s3.amazonaws.com")
@example(value="\u212a.example.com", in_env=False, host="k.example.com")
@example(value=" , ,", in_env=True, host="")
def test_sigv2_hosts_setting(value, in_env, host):
    environ = {shim_settings.env_name("sigv2_hosts"): value} if in_env else {}
    config = _Config({} if in_env else {(shim_settings.SECTION,
                                         "sigv2_hosts"): value})
    patterns = shim_settings.sigv2_hosts(environ, config)
    assert isinstance(patterns, tuple)
    for pattern in patterns:
        assert pattern and pattern == pattern.strip() and "," not in pattern
    result = shim_settings.is_sigv2_host(host, environ, config)
    assert result in (True, False)
    if result:
        # a match is a match of the host name itself, never a prefix trick
        name = (host or "").lower().split(":")[0].rstrip(".")
        assert any(name == p.split(":")[0].rstrip(".").lstrip(".") or
                   (p.startswith(".") and name.endswith(p.split(":")[0]
                                                        .rstrip(".")))
                   for p in patterns)


@_settings(3000)
@given(query=st.one_of(
    st.lists(st.one_of(FRAGMENTS, st.sampled_from(["&", "=", "&&", "==", "+",
                                                   "%ff", "%c3%a9", "%2",
                                                   "%zz", "%%"]),
                       st.text(max_size=3)), max_size=12).map("".join),
    st.binary(max_size=30), st.text(max_size=30), st.none()))
@example(query="a=1&a=&b&=c&&%2e%2e=..&%ff=1")
@example(query=b"a=%C3%A9")
def test_parse_query(query):
    try:
        pairs = signer.parse_query(query)
    except ValueError:  # invalid UTF-8 (documented)
        return
    for name, value in pairs:
        assert isinstance(name, type(u"")) and isinstance(value, type(u""))
    # the canonical form re-parses to the same pairs, and is plain ASCII
    canonical = signer.canonical_query(pairs)
    assert re.match(r"\A[A-Za-z0-9%=&._~-]*\Z", canonical)
    assert sorted(signer.parse_query(canonical)) == sorted(
        (n, v) for n, v in pairs if n or v or True)


@_settings(3000)
@given(host=st.one_of(HOSTISH, ANY.filter(lambda v: not isinstance(
           v, (list, float, int, type(None))))),
       port=st.one_of(st.none(), st.sampled_from([0, 80, 443, 8080, 65535]),
                      st.integers(), st.text(max_size=5)),
       secure=st.booleans())
@example(host="s3.amazonaws.com:443", port=None, secure=True)
@example(host="s3.amazonaws.com:443", port=443, secure=True)
@example(host="s3.amazonaws.com:8443", port=8443, secure=True)
@example(host="[::1]:8443", port=None, secure=True)
@example(host="[::1", port=None, secure=True)
@example(host="evil.com\r\nX-Injected: 1", port=443, secure=True)
@example(host="a.com@evil.com", port=443, secure=True)
@example(host="a.com/evil", port=443, secure=True)
@example(host="a.com:1:2", port=443, secure=True)
def test_host_header(host, port, secure):
    try:
        value = signer.host_header(host, port, secure)
    except ValueError:
        return
    # A Host header value: a name (or [IPv6]) and at most one :port, nothing
    # that could end the header or move the authority.
    assert re.match(r"\A(?:[a-z0-9._-]+|\[[0-9a-f:.%a-z]+\])(?::[0-9]+)?\Z",
                    value), value
    assert value.count(":") <= 1 or value.startswith("[")
    if value.rsplit("]", 1)[-1].count(":") == 1:
        shown = int(value.rsplit(":", 1)[1])
        assert shown != (443 if secure else 80)


def test_plain_region_and_host_examples():
    assert regions.s3_host("eu-central-1") == "s3.eu-central-1.amazonaws.com"
    assert regions.s3_host("cn-north-1") == "s3.cn-north-1.amazonaws.com.cn"
    assert signer.host_header("S3.Amazonaws.com", 443, True) == \
        "s3.amazonaws.com"
    assert signer.host_header("h.example.com:9000", 9000, False) == \
        "h.example.com:9000"
