"""Thread safety: 32 threads signing at once, through one shared connection
and through one connection each, against the loopback front (TLS, real AWS
names), with buckets in four regions the threads have to discover at the
same time.

What must hold: every call returns the right data, the front saw no bad
signature (every answer 200 apart from the wrong-region answers of bucket
discovery, bounded), the region cache ends with each bucket's true region,
and a clock correction raced by 32 threads is logged once.

The normal suite sends a few hundred requests per test; ``SHIM_STRESS=1``
(``make stress``) a few thousand.
"""
import logging
import os
import random
import threading

import boto
import boto.ec2
import boto.s3
import pytest
from boto.s3.key import Key

from boto_sigv4_shim import bucket_regions, clock

STRESS = os.environ.get("SHIM_STRESS") == "1"
THREADS = 32
OPS_PER_THREAD = 60 if STRESS else 12
SEED = int(os.environ.get("SHIM_THREADS_SEED", "4242"))
REGIONS = ["us-east-1", "eu-central-1", "ap-southeast-5", "af-south-1"]
REGION_ERRORS = ("PermanentRedirect", "AuthorizationHeaderMalformed", "301",
                 "400")


@pytest.fixture(autouse=True)
def fresh_state():
    clock.set_offset(0)
    bucket_regions.CACHE.clear()
    yield
    clock.set_offset(0)


@pytest.fixture
def regional_buckets(front, unique_bucket):
    """{bucket: region}, made with their own regional connections, then the
    region cache emptied so the threads discover them."""
    made = {}
    for region in REGIONS:
        name = unique_bucket("thr")
        conn = boto.s3.connect_to_region(region)
        conn.create_bucket(name, location="" if region == "us-east-1"
                           else region)
        made[name] = region
    bucket_regions.CACHE.clear()
    front.clear()
    return made


def _run_threads(work):
    errors = []

    def runner(index):
        try:
            work(index)
        except BaseException as error:  # noqa: BLE001 -- reported below
            errors.append((index, repr(error)))

    threads = [threading.Thread(target=runner, args=(i,))
               for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not [t for t in threads if t.is_alive()], "threads hung"
    return errors


def _work(conn_for, buckets, ec2_for=None):
    names = sorted(buckets)

    def work(index):
        rng = random.Random(SEED + index)
        conn = conn_for(index)
        for op in range(OPS_PER_THREAD):
            name = rng.choice(names)
            bucket = conn.get_bucket(name, validate=False)
            key_name = "t%02d/%03d" % (index, op)
            body = ("%s %d %d " % (name, index, op)).encode() * rng.randint(
                1, 200)
            Key(bucket, key_name).set_contents_from_string(body)
            got = Key(bucket, key_name).get_contents_as_string()
            assert got == body, (name, key_name)
            if ec2_for is not None and op % 4 == 0:
                assert ec2_for(index).get_all_zones()

    return work


def _check_front(front, buckets):
    assert not front.errors, front.errors[-1]
    bad = [r for r in front.requests if r.status != 200]
    assert not [r for r in bad if r.error not in REGION_ERRORS], bad[:5]
    # Discovery: at most one wrong-region answer per thread and bucket.
    assert len(bad) <= THREADS * len(buckets), len(bad)
    assert all(r.auth in ("sigv4", "sigv4-query") for r in front.requests)
    for name, region in buckets.items():
        cached = bucket_regions.CACHE.get("aws", name)
        # The connections' own region needs no entry: nothing corrected it.
        assert cached == region or (cached is None
                                    and region == "us-east-1"), (name, cached)
        stored = [r for r in front.requests
                  if r.bucket == name and r.method == "PUT" and r.status == 200]
        assert stored and all(r.region == region for r in stored), name


def test_one_shared_connection(front, regional_buckets):
    shared = boto.connect_s3()
    errors = _run_threads(_work(lambda i: shared, regional_buckets))
    assert not errors, errors[:3]
    assert len(front.requests) >= THREADS * OPS_PER_THREAD * 2
    _check_front(front, regional_buckets)


def test_one_connection_per_thread(front, regional_buckets):
    s3_conns = dict((i, boto.connect_s3()) for i in range(THREADS))
    ec2_conns = dict((i, boto.ec2.connect_to_region("eu-central-1"))
                     for i in range(THREADS))
    errors = _run_threads(_work(s3_conns.get, regional_buckets,
                                ec2_conns.get))
    assert not errors, errors[:3]
    _check_front(front, regional_buckets)
    assert [r for r in front.requests if r.service == "ec2"]


def test_threads_racing_a_clock_correction(front, regional_buckets, caplog):
    caplog.set_level(logging.WARNING, logger="boto_sigv4_shim")
    front.clock_offset = 3600
    shared = boto.connect_s3()
    barrier = threading.Barrier(THREADS) if hasattr(threading, "Barrier") \
        else None
    names = sorted(regional_buckets)

    def work(index):
        if barrier is not None:
            barrier.wait(60)  # all sign with the wrong clock at once
        bucket = shared.get_bucket(names[index % len(names)], validate=False)
        Key(bucket, "skew-%d" % index).set_contents_from_string(b"s")
        assert Key(bucket, "skew-%d" % index).get_contents_as_string() == b"s"

    errors = _run_threads(work)
    assert not errors, errors[:3]
    assert abs(clock.offset() - 3600) < 5
    skewed = [r for r in front.requests if r.error == "RequestTimeTooSkewed"]
    assert 1 <= len(skewed) <= THREADS
    assert not [r for r in front.requests if r.status != 200
                and r.error not in REGION_ERRORS + ("RequestTimeTooSkewed",)]
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
