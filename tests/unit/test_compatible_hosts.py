"""Signing regions inferred from S3-compatible host names (pure logic)."""
import pytest

from boto_sigv4_shim import compatible_hosts, regions
from boto_sigv4_shim.compatible_hosts import signing_region_for

KNOWN = [
    # Cloudflare R2: always "auto", jurisdictions too.
    ("0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com", "auto",
     "Cloudflare R2"),
    ("acct.eu.r2.cloudflarestorage.com", "auto", "Cloudflare R2"),
    ("acct.fedramp.r2.cloudflarestorage.com", "auto", "Cloudflare R2"),
    ("bucket.acct.r2.cloudflarestorage.com", "auto", "Cloudflare R2"),
    # Backblaze B2
    ("s3.us-west-004.backblazeb2.com", "us-west-004", "Backblaze B2"),
    ("s3.eu-central-003.backblazeb2.com", "eu-central-003", "Backblaze B2"),
    ("my-bucket.s3.us-east-005.backblazeb2.com", "us-east-005",
     "Backblaze B2"),
    # Wasabi
    ("s3.wasabisys.com", "us-east-1", "Wasabi"),
    ("bucket.s3.wasabisys.com", "us-east-1", "Wasabi"),
    ("s3.eu-central-1.wasabisys.com", "eu-central-1", "Wasabi"),
    ("s3.ap-northeast-1.wasabisys.com", "ap-northeast-1", "Wasabi"),
    ("bucket.s3.us-west-1.wasabisys.com", "us-west-1", "Wasabi"),
    # DigitalOcean Spaces
    ("nyc3.digitaloceanspaces.com", "nyc3", "DigitalOcean Spaces"),
    ("fra1.digitaloceanspaces.com", "fra1", "DigitalOcean Spaces"),
    ("space-name.sgp1.digitaloceanspaces.com", "sgp1", "DigitalOcean Spaces"),
    # Google Cloud Storage XML API (HMAC keys)
    ("storage.googleapis.com", "auto", "Google Cloud Storage"),
    ("bucket.storage.googleapis.com", "auto", "Google Cloud Storage"),
    # Linode / Akamai
    ("us-east-1.linodeobjects.com", "us-east-1", "Linode Object Storage"),
    ("eu-central-1.linodeobjects.com", "eu-central-1",
     "Linode Object Storage"),
    ("bucket.us-iad-1.linodeobjects.com", "us-iad-1", "Linode Object Storage"),
    # Scaleway
    ("s3.fr-par.scw.cloud", "fr-par", "Scaleway"),
    ("bucket.s3.nl-ams.scw.cloud", "nl-ams", "Scaleway"),
    # OVHcloud
    ("s3.gra.io.cloud.ovh.net", "gra", "OVHcloud"),
    ("s3.sbg.perf.cloud.ovh.net", "sbg", "OVHcloud"),
    ("s3.de.cloud.ovh.net", "de", "OVHcloud"),
    ("bucket.s3.uk.io.cloud.ovh.net", "uk", "OVHcloud"),
    # Oracle Cloud
    ("axaxnpcrorw5.compat.objectstorage.us-ashburn-1.oraclecloud.com",
     "us-ashburn-1", "Oracle Cloud"),
    ("ns.compat.objectstorage.eu-frankfurt-1.oraclecloud.com",
     "eu-frankfurt-1", "Oracle Cloud"),
    # IBM Cloud Object Storage
    ("s3.us-south.cloud-object-storage.appdomain.cloud", "us-south",
     "IBM Cloud Object Storage"),
    ("s3.private.eu-de.cloud-object-storage.appdomain.cloud", "eu-de",
     "IBM Cloud Object Storage"),
    ("s3.direct.us-geo.cloud-object-storage.appdomain.cloud", "us-geo",
     "IBM Cloud Object Storage"),
]


@pytest.mark.parametrize("host,region,provider", KNOWN)
def test_known_store_hosts(host, region, provider):
    assert signing_region_for(host) == (region, provider)
    assert regions.validate_signing_token(region) == region


@pytest.mark.parametrize("host,region,provider", KNOWN[:3] + KNOWN[4:5])
def test_port_case_and_trailing_dot_are_ignored(host, region, provider):
    assert signing_region_for(host.upper() + ":8443") == (region, provider)
    assert signing_region_for(host + ".") == (region, provider)
    assert signing_region_for(host.encode("ascii")) == (region, provider)


@pytest.mark.parametrize("host", [
    "minio.test", "127.0.0.1", "localhost:9000", "s3.amazonaws.com",
    "s3.us-west-2.amazonaws.com",
    "r2.cloudflarestorage.com",                  # no account label
    "acct.r2.cloudflarestorage.com.evil.test",   # suffix must end the name
    "s3.backblazeb2.com", "backblazeb2.com",     # no region label
    "s3.us_west.backblazeb2.com",                # '_' is no token character
    "nyc3.cdn.digitaloceanspaces.com",           # the CDN, not the S3 API
    "digitaloceanspaces.com",
    "storage.googleapis.com.evil.test", "googleapis.com",
    "linodeobjects.com", "scw.cloud", "s3.scw.cloud",
    "s3.cloud.ovh.net", "objectstorage.us-ashburn-1.oraclecloud.com",
    "cloud-object-storage.appdomain.cloud",
    "[::1]:9000", "", None, 42, b"\xff.r2.cloudflarestorage.com",
])
def test_other_hosts_match_nothing(host):
    assert signing_region_for(host) is None


def test_a_label_that_is_no_signing_token_matches_nothing():
    # 64 characters: longer than a DNS label / signing token may be.
    label = "a" * 64
    assert signing_region_for("s3.%s.backblazeb2.com" % label) is None
    assert signing_region_for("s3.-x.wasabisys.com") is None


def test_every_table_row_is_tested():
    providers = set(p for p, _, _ in compatible_hosts.PATTERNS)
    assert providers == set(p for _, _, p in KNOWN)


def test_custom_region_prefers_the_host_over_the_resolution_chain():
    from boto_sigv4_shim import s3
    environ = {"AWS_REGION": "eu-west-1", "AWS_CONFIG_FILE": "/nonexistent"}

    class NoConfig(object):
        def get(self, section, option, default=None):
            return default

    assert s3.custom_region("acct.r2.cloudflarestorage.com", environ,
                            NoConfig()) == "auto"
    assert s3.custom_region("minio.test", environ, NoConfig()) == "eu-west-1"
    assert s3.custom_region("minio.test", {"AWS_CONFIG_FILE": "/nonexistent"},
                            NoConfig()) == "us-east-1"
    plan = s3.plan("s3.eu-central-003.backblazeb2.com", NoConfig(), environ)
    assert (plan.kind, plan.region) == ("custom", "eu-central-003")
    environ["BOTO_SIGV4_SHIM_S3_CUSTOM_REGION"] = "mine"
    plan = s3.plan("s3.eu-central-003.backblazeb2.com", NoConfig(), environ)
    assert plan.region == "mine"  # the setting beats the host table
