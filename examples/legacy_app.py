"""A legacy boto 2 program, as found in the wild.

It knows nothing of boto_sigv4_shim: ``make demo`` runs it once plain and once
as ``python -m boto_sigv4_shim examples/legacy_app.py``.  Each step prints
OK or FAIL with the error AWS (here: the loopback stand-in) answered.
"""
from __future__ import print_function

import os
import sys
import uuid

import boto
import boto.ec2
import boto.s3
from boto.s3.key import Key

try:
    from urllib.request import urlopen
    from urllib.error import HTTPError
except ImportError:  # Python 2
    from urllib2 import urlopen, HTTPError

SUFFIX = os.environ.get("DEMO_SUFFIX") or uuid.uuid4().hex[:8]
failures = []


def step(name, func):
    try:
        detail = func()
    except Exception as error:  # a legacy script's idea of error handling
        message = getattr(error, "error_code", None) or type(error).__name__
        reason = getattr(error, "message", None) or str(error).split("\n")[0]
        print("FAIL  %-44s %s: %s" % (name, message, reason[:90]))
        failures.append(name)
    else:
        print("OK    %-44s %s" % (name, detail or ""))


def s3_default_region():
    conn = boto.connect_s3()
    bucket = conn.create_bucket("legacy-us-" + SUFFIX)
    key = Key(bucket, "reports/2018.csv")
    key.set_contents_from_string("id,total\n1,42\n")
    return "read back %r" % bucket.get_key("reports/2018.csv").get_contents_as_string()


def s3_presigned_url():
    conn = boto.connect_s3()
    url = conn.generate_url(300, "GET", "legacy-us-" + SUFFIX, "reports/2018.csv")
    try:
        return "fetched %d bytes" % len(urlopen(url, timeout=10).read())
    except HTTPError as error:
        raise RuntimeError("HTTP %d for the presigned URL" % error.code)


def s3_region(region):
    def run():
        conn = boto.s3.connect_to_region(region)
        if conn is None:
            raise RuntimeError("boto.s3.connect_to_region(%r) returned None"
                               % region)
        bucket = conn.create_bucket("legacy-%s-%s" % (region, SUFFIX),
                                    location=region)
        bucket.new_key("hello.txt").set_contents_from_string("hello")
        return "%d key(s) in %s" % (len(list(bucket.list())), conn.host)
    return run


def ec2_region(region):
    def run():
        conn = boto.ec2.connect_to_region(region)
        if conn is None:
            raise RuntimeError("boto.ec2.connect_to_region(%r) returned None"
                               % region)
        zones = conn.get_all_zones()
        return "%d availability zone(s) at %s" % (len(zones), conn.host)
    return run


def main():
    step("S3 bucket + object, default connection", s3_default_region)
    step("S3 presigned URL", s3_presigned_url)
    step("S3 in eu-central-1 (a 2014 region)", s3_region("eu-central-1"))
    step("S3 in ap-southeast-5 (opened 2024)", s3_region("ap-southeast-5"))
    step("EC2 in us-west-2", ec2_region("us-west-2"))
    step("EC2 in mx-central-1 (opened 2025)", ec2_region("mx-central-1"))
    print("%d step(s) failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
