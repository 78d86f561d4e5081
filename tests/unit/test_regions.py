"""Region names, partitions and host names (pure logic, botocore as reference)."""
import json
import os

import botocore
import pytest
from botocore.regions import EndpointResolver

from boto_sigv4_shim import regions
from boto_sigv4_shim.errors import InvalidRegionError, UnknownHostError

ENDPOINTS = json.load(open(os.path.join(os.path.dirname(botocore.__file__),
                                        "data", "endpoints.json")))
BOTOCORE_REGIONS = sorted(
    (p["partition"], r) for p in ENDPOINTS["partitions"] for r in p["regions"])
RESOLVER = EndpointResolver(ENDPOINTS)


@pytest.mark.parametrize("partition,region", BOTOCORE_REGIONS)
def test_every_botocore_region_is_valid_and_in_its_partition(partition, region):
    assert regions.validate_region(region) == region
    assert regions.partition_of(region).name == partition


@pytest.mark.parametrize("partition,region", [
    pr for pr in BOTOCORE_REGIONS if pr[0] in ("aws", "aws-cn", "aws-us-gov")])
def test_s3_and_ec2_hosts_match_botocore(partition, region):
    s3 = RESOLVER.construct_endpoint("s3", region)
    ec2 = RESOLVER.construct_endpoint("ec2", region)
    expected_s3 = s3["hostname"] if s3 else None
    if region == "us-east-1":
        # S3 in us-east-1 keeps the global name (botocore's legacy default).
        expected_s3 = "s3.amazonaws.com"
    if expected_s3 is not None:
        assert regions.s3_host(region) == expected_s3
    assert regions.service_host("ec2", region) == ec2["hostname"]


def test_known_regions_cover_botocore_commercial_china_and_govcloud():
    wanted = set(r for p, r in BOTOCORE_REGIONS
                 if p in ("aws", "aws-cn", "aws-us-gov"))
    assert wanted - set(regions.KNOWN_REGIONS) == set()


@pytest.mark.parametrize("region,host", [
    ("us-east-1", "s3.amazonaws.com"),
    ("eu-central-1", "s3.eu-central-1.amazonaws.com"),
    ("cn-north-1", "s3.cn-north-1.amazonaws.com.cn"),
    ("us-gov-west-1", "s3.us-gov-west-1.amazonaws.com"),
    ("ap-future-9", "s3.ap-future-9.amazonaws.com"),
])
def test_s3_host(region, host):
    assert regions.s3_host(region) == host


def test_future_region_of_a_known_form_gets_hosts():
    assert regions.service_host("ec2", "mx-south-7") == \
        "ec2.mx-south-7.amazonaws.com"


@pytest.mark.parametrize("alias,region", [
    ("EU", "eu-west-1"), ("", "us-east-1"), ("US", "us-east-1")])
def test_boto_location_names_map_to_regions(alias, region):
    assert regions.validate_region(alias) == region


@pytest.mark.parametrize("bad", [
    "eu-central-1; x", "evil.com#", "../", "eu-central-1.evil.com",
    "us-east-1\n", " us-east-1x", "us_east_1", "xx-east-1", "us-east",
    "us-eást-1", "eu-central-1/", "", None, 12, b"\xff"])
def test_invalid_region_raises_value_error_naming_value_and_source(bad):
    if bad in ("", "us-east-1\n"):
        # '' is boto's US location; surrounding white space is stripped.
        assert regions.validate_region(bad) == "us-east-1" or bad == ""
        return
    with pytest.raises(ValueError) as info:
        regions.validate_region(bad, "AWS_REGION")
    assert isinstance(info.value, InvalidRegionError)
    assert repr(bad) in str(info.value)
    assert "AWS_REGION" in str(info.value)
    with pytest.raises(ValueError):
        regions.s3_host(bad)
    with pytest.raises(ValueError):
        regions.service_host("ec2", bad)


def test_upper_case_region_error_says_the_fix():
    with pytest.raises(InvalidRegionError) as info:
        regions.validate_region("EU-CENTRAL-1", "[boto_sigv4_shim] region")
    assert "use 'eu-central-1'" in str(info.value)


@pytest.mark.parametrize("host,kind,region", [
    ("s3.amazonaws.com", "global", "us-east-1"),
    ("bucket.s3.amazonaws.com", "global", "us-east-1"),
    ("s3.external-1.amazonaws.com", "global", "us-east-1"),
    ("s3.eu-central-1.amazonaws.com", "regional", "eu-central-1"),
    ("s3-us-west-2.amazonaws.com", "regional", "us-west-2"),
    ("my.dotted.bucket.s3-ap-northeast-1.amazonaws.com", "regional",
     "ap-northeast-1"),
    ("s3.dualstack.ap-east-1.amazonaws.com", "regional", "ap-east-1"),
    ("b.s3.cn-north-1.amazonaws.com.cn", "regional", "cn-north-1"),
    ("S3.EU-WEST-1.AMAZONAWS.COM:443", "regional", "eu-west-1"),
    ("bucket.vpce-1a2b3c4d.s3.us-east-1.vpce.amazonaws.com", "aws-special",
     "us-east-1"),
    ("s3-fips.us-east-2.amazonaws.com", "aws-special", "us-east-2"),
    ("s3-fips.dualstack.us-gov-west-1.amazonaws.com", "aws-special",
     "us-gov-west-1"),
    ("minio.example.com", "custom", None),
    ("localhost:9000", "custom", None),
    ("amazonaws.com.evil.example", "custom", None),
])
def test_parse_s3_host(host, kind, region):
    info = regions.parse_s3_host(host)
    assert (info.kind, info.region) == (kind, region)


@pytest.mark.parametrize("bad", ["", None, "a b", "http://[::1]:80/", "x/../y?", "https://s3.amazonaws.com"])
def test_unparseable_host_raises_naming_it(bad):
    with pytest.raises(UnknownHostError) as info:
        regions.parse_s3_host(bad)
    assert repr(bad) in str(info.value)


@pytest.mark.parametrize("token", ["auto", "us-west-004", "garage", "site-1"])
def test_signing_token_for_non_aws_hosts(token):
    assert regions.validate_signing_token(token) == token


@pytest.mark.parametrize("bad", ["Auto", "-x", "x-", "a.b", "a b", "", "x" * 64])
def test_bad_signing_token(bad):
    with pytest.raises(InvalidRegionError):
        regions.validate_signing_token(bad, "BOTO_SIGV4_SHIM_S3_CUSTOM_REGION")


def test_region_from_service_host():
    assert regions.region_from_service_host("ec2.ap-south-2.amazonaws.com") == \
        "ap-south-2"
    assert regions.region_from_service_host("ec2.amazonaws.com") is None
    assert regions.region_from_service_host("localhost") is None
