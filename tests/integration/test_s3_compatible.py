"""S3-compatible stores (non-AWS hosts on an S3Connection), end to end.

How the real provider names are reached: for the length of one test the
in-process loopback routing (tests/support/route.py) also routes the
provider's own DNS suffix (``r2.cloudflarestorage.com``, ``backblazeb2.com``,
...) to the front, exactly as it routes ``amazonaws.com``.  So boto connects
to ``<account>.r2.cloudflarestorage.com`` by that real name: the shim plans,
signs and sends the real Host header, the socket goes to 127.0.0.1, and the
front -- which treats every non-AWS name as an S3-compatible store -- checks
the signature with botocore and answers 400 AuthorizationHeaderMalformed
unless the credential scope names ``front.custom_region``.  That is a real
check of the region the signature carries, for the host name the user gives,
which neither ``.test`` look-alike names (they would need a test-only host
table in the shim) nor ``127.0.0.1`` with a forged Host header (the shim
would plan for ``127.0.0.1``) could give.  Plain HTTP on port 80 (mapped to
the front's HTTP port): the test certificate holds AWS names only.
"""
import boto
import pytest
from boto.s3.connection import OrdinaryCallingFormat, S3Connection

from tests.support import route
from tests.support.front import ROUTE_SUFFIXES

try:
    from urllib.request import urlopen
except ImportError:  # pragma: no cover
    from urllib2 import urlopen

STORES = [
    ("0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com", "auto",
     "r2.cloudflarestorage.com"),
    ("s3.us-west-004.backblazeb2.com", "us-west-004", "backblazeb2.com"),
    ("s3.eu-central-2.wasabisys.com", "eu-central-2", "wasabisys.com"),
    ("s3.wasabisys.com", "us-east-1", "wasabisys.com"),
    ("nyc3.digitaloceanspaces.com", "nyc3", "digitaloceanspaces.com"),
    ("storage.googleapis.com", "auto", "googleapis.com"),
    ("us-iad-1.linodeobjects.com", "us-iad-1", "linodeobjects.com"),
    ("s3.fr-par.scw.cloud", "fr-par", "scw.cloud"),
    ("s3.gra.io.cloud.ovh.net", "gra", "ovh.net"),
    ("s3.de.cloud.ovh.net", "de", "ovh.net"),
    ("ns1.compat.objectstorage.us-ashburn-1.oraclecloud.com", "us-ashburn-1",
     "oraclecloud.com"),
    ("s3.us-south.cloud-object-storage.appdomain.cloud", "us-south",
     "appdomain.cloud"),
]


@pytest.fixture
def routed(front):
    """``routed(suffix)``: route ``suffix`` to the front until the test ends."""
    def add(*suffixes):
        route.activate(front.route_config(ROUTE_SUFFIXES + tuple(suffixes)))
    yield add
    route.activate(front.route_config())


def _connect(host, **kwargs):
    return S3Connection(host=host, is_secure=False,
                        calling_format=OrdinaryCallingFormat(), **kwargs)


@pytest.mark.parametrize("host,region,suffix", STORES,
                         ids=[s[0].split(".", 1)[1] for s in STORES])
def test_store_signs_for_the_region_its_host_implies(front, routed, host,
                                                     region, suffix,
                                                     unique_bucket,
                                                     monkeypatch):
    """AWS_REGION is set to something else: the host's own region wins."""
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    routed(suffix)
    front.custom_region = region
    conn = _connect(host)
    assert conn._auth_handler.region_name == region
    name = unique_bucket()
    conn.create_bucket(name).new_key("k").set_contents_from_string("v")
    assert conn.get_bucket(name).get_key("k").get_contents_as_string() == b"v"
    assert [(r.method, r.host, r.auth, r.region, r.status)
            for r in front.requests] == [
        ("PUT", host, "sigv4", region, 200),
        ("PUT", host, "sigv4", region, 200),
        ("HEAD", host, "sigv4", region, 200),
        ("HEAD", host, "sigv4", region, 200),
        ("GET", host, "sigv4", region, 200)]


def test_presigned_url_for_a_store_carries_its_region(front, routed,
                                                      unique_bucket):
    host = "acct.r2.cloudflarestorage.com"
    routed("r2.cloudflarestorage.com")
    front.custom_region = "auto"
    conn = _connect(host)
    name = unique_bucket()
    conn.create_bucket(name).new_key("doc").set_contents_from_string("r2")
    front.clear()
    url = conn.generate_url(60, "GET", name, "doc")
    assert url.startswith("http://%s/%s/doc?" % (host, name))
    assert "%2Fauto%2Fs3%2Faws4_request" in url
    assert urlopen(url, timeout=10).read() == b"r2"
    assert [(r.auth, r.host, r.region, r.status) for r in front.requests] == \
        [("sigv4-query", host, "auto", 200)]


def test_region_setting_beats_the_host_table(front, routed, unique_bucket,
                                             monkeypatch):
    monkeypatch.setenv("BOTO_SIGV4_SHIM_S3_CUSTOM_REGION", "us-west-002")
    routed("backblazeb2.com")
    front.custom_region = "us-west-002"
    conn = _connect("s3.us-west-004.backblazeb2.com")
    conn.create_bucket(unique_bucket())
    assert [(r.region, r.status) for r in front.requests] == \
        [("us-west-002", 200)]


def test_wrong_region_for_a_store_is_what_the_front_refuses(front, routed,
                                                            unique_bucket):
    """Negative control: the front really checks the store's region."""
    from boto.exception import S3ResponseError
    routed("backblazeb2.com")
    front.custom_region = "us-west-004"
    conn = _connect("s3.eu-central-003.backblazeb2.com")
    with pytest.raises(S3ResponseError) as info:
        conn.create_bucket(unique_bucket())
    assert (info.value.status, info.value.error_code) == \
        (400, "AuthorizationHeaderMalformed")
    assert [(r.region, r.status) for r in front.requests] == \
        [("eu-central-003", 400)]


def test_named_store_on_a_non_default_port_signs_host_once(front,
                                                           unique_bucket):
    """A DNS name (not an address) on a non-default port: Host is
    ``name:port``, sent and signed once (boto alone signs name:port:port)."""
    host = "store.minio.test"
    conn = S3Connection(host=host, port=front.http_port, is_secure=False,
                        calling_format=OrdinaryCallingFormat())
    name = unique_bucket()
    conn.create_bucket(name)
    assert conn.get_bucket(name).name == name
    assert [(r.method, r.host, r.region, r.status) for r in front.requests] \
        == [("PUT", "%s:%d" % (host, front.http_port), "us-east-1", 200),
            ("HEAD", "%s:%d" % (host, front.http_port), "us-east-1", 200)]
    for record in front.requests:
        assert [v for k, v in record.headers if k.lower() == "host"] == \
            ["%s:%d" % (host, front.http_port)]
        assert "host" in record.signed_headers


@pytest.mark.parametrize("host", ["s3.us-west-1.wasabisys.com",
                                  # boto itself guesses SigV4 from ".eu-central"
                                  "s3.eu-central-1.wasabisys.com"])
def test_sigv2_only_store_is_opted_out_by_its_host(front, routed,
                                                   monkeypatch, host):
    """``sigv2_hosts`` beats the host table: a store listed there signs with
    SigV2 (the front refuses SigV2, as S3 does)."""
    from boto.exception import S3ResponseError
    monkeypatch.setenv("BOTO_SIGV4_SHIM_SIGV2_HOSTS", ".wasabisys.com")
    routed("wasabisys.com")
    conn = _connect(host)
    assert type(conn._auth_handler).__name__ == "HmacAuthV1Handler"
    with pytest.raises(S3ResponseError):
        conn.get_all_buckets()
    assert [(r.auth, r.host) for r in front.requests] == [("sigv2", host)]


def test_google_storage_on_s3connection_signs_sigv4_auto(front, routed,
                                                         unique_bucket):
    """GCS's XML API with HMAC keys through an S3Connection signs SigV4 for
    'auto'; a GSConnection (boto's Google provider) is left to boto."""
    routed("googleapis.com")
    front.custom_region = "auto"
    conn = _connect("storage.googleapis.com")
    assert type(conn._auth_handler).__name__ == "S3SigV4Handler"
    conn.create_bucket(unique_bucket())
    assert [(r.auth, r.region, r.status) for r in front.requests] == \
        [("sigv4", "auto", 200)]
    gs = boto.connect_gs("GOOGKEY", "googsecret")
    assert type(gs._auth_handler).__name__ == "HmacAuthV1Handler"
