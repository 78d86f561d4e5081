"""EC2 and its query-service family through the shim, against moto."""
import json
import os

import boto
import boto.ec2
import boto.ec2.autoscale
import boto.ec2.cloudwatch
import boto.ec2.elb
import boto.vpc
import botocore
import pytest
from boto.regioninfo import RegionInfo

ENDPOINTS = json.load(open(os.path.join(os.path.dirname(botocore.__file__),
                                        "data", "endpoints.json")))
COMMERCIAL = sorted(ENDPOINTS["partitions"][0]["regions"])
ALL_REGIONS = sorted(r for p in ENDPOINTS["partitions"] for r in p["regions"])


@pytest.mark.parametrize("region", ALL_REGIONS)
def test_connect_to_region_for_every_botocore_region(region):
    """Not None, endpoint built for the region, scope pinned to it."""
    ec2 = boto.ec2.connect_to_region(region)
    s3 = boto.s3.connect_to_region(region)
    suffix = [p["dnsSuffix"] for p in ENDPOINTS["partitions"]
              if region in p["regions"]][0]
    assert ec2.host == "ec2.%s.%s" % (region, suffix)
    assert (ec2._auth_handler.region_name, ec2._auth_handler.service_name) \
        == (region, "ec2")
    expected_s3 = "s3.amazonaws.com" if region == "us-east-1" else \
        "s3.%s.%s" % (region, suffix)
    assert (s3.host, s3._auth_handler.region_name) == (expected_s3, region)


@pytest.mark.parametrize("region", ["af-south-1", "ap-east-1", "ap-southeast-5",
                                    "mx-central-1", "il-central-1", "us-east-1",
                                    "eu-central-1"])
def test_ec2_calls_in_new_regions(front, region):
    conn = boto.ec2.connect_to_region(region)
    zones = conn.get_all_zones()
    assert zones and all(z.name.startswith(region) for z in zones)
    assert [(r.auth, r.host, r.region, r.service, r.status)
            for r in front.requests] == [
        ("sigv4", "ec2.%s.amazonaws.com" % region, region, "ec2", 200)]


def test_future_region_gets_a_connection():
    conn = boto.ec2.connect_to_region("eu-future-7")
    assert conn.host == "ec2.eu-future-7.amazonaws.com"
    assert conn._auth_handler.region_name == "eu-future-7"


@pytest.mark.parametrize("bad", ["eu-central-1; x", "evil.com#", "../"])
def test_bad_region_raises(bad):
    for module in (boto.ec2, boto.ec2.autoscale, boto.ec2.elb,
                   boto.ec2.cloudwatch):
        with pytest.raises(ValueError) as info:
            module.connect_to_region(bad)
        assert repr(bad) in str(info.value)


def test_default_ec2_connection_follows_aws_region(front, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "ap-southeast-7")
    conn = boto.connect_ec2()
    assert conn.host == "ec2.ap-southeast-7.amazonaws.com"
    conn.get_all_zones()
    assert [r.region for r in front.requests] == ["ap-southeast-7"]


def test_vpc_connection(front):
    conn = boto.vpc.connect_to_region("ca-west-1")
    assert conn.get_all_vpcs() is not None
    assert [(r.host, r.region, r.status) for r in front.requests] == [
        ("ec2.ca-west-1.amazonaws.com", "ca-west-1", 200)]


@pytest.mark.parametrize("module,call,service", [
    (boto.ec2.autoscale, "get_all_groups", "autoscaling"),
    (boto.ec2.elb, "get_all_load_balancers", "elasticloadbalancing"),
])
def test_ec2_family_in_a_new_region(front, module, call, service):
    conn = module.connect_to_region("me-central-1")
    assert conn.host == "%s.me-central-1.amazonaws.com" % service
    getattr(conn, call)()
    assert [(r.auth, r.region, r.service, r.status) for r in front.requests] \
        == [("sigv4", "me-central-1", service, 200)]


def test_cloudwatch_in_a_new_region_passes_the_signature_check(front):
    """moto 5 no longer speaks CloudWatch's query protocol (it answers 500),
    so this checks what the front verified before forwarding: SigV4 for the
    right region and service, accepted (no 4xx of the front's own)."""
    conn = boto.ec2.cloudwatch.connect_to_region("me-central-1")
    assert conn.host == "monitoring.me-central-1.amazonaws.com"
    with pytest.raises(boto.exception.BotoServerError):
        conn.describe_alarms()
    assert set((r.auth, r.region, r.service, r.status) for r in front.requests) \
        == set([("sigv4", "me-central-1", "monitoring", 500)])


def test_regioninfo_with_custom_endpoint_signs_for_its_name():
    region = RegionInfo(name="eucalyptus", endpoint="ec2.cloud.example")
    conn = boto.connect_ec2(region=region)
    assert (conn.host, conn._auth_handler.region_name,
            conn._auth_handler.service_name) == \
        ("ec2.cloud.example", "eucalyptus", "ec2")


def test_regioninfo_scope_follows_aws_endpoint_not_name():
    region = RegionInfo(name="whatever", endpoint="ec2.eu-south-2.amazonaws.com")
    conn = boto.connect_ec2(region=region)
    assert conn._auth_handler.region_name == "eu-south-2"


def test_missing_credentials_error_says_where_to_put_them(monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    from boto.exception import NoAuthHandlerFound
    with pytest.raises(NoAuthHandlerFound) as info:
        boto.ec2.connect_to_region("eu-west-1")
    assert "no AWS credentials for ec2.eu-west-1.amazonaws.com" in \
        str(info.value)
    assert "AWS_ACCESS_KEY_ID" in str(info.value)
    with pytest.raises(NoAuthHandlerFound):
        boto.connect_s3()
