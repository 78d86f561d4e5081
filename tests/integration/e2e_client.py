"""End-to-end client, run under every supported interpreter (2.7-3.13).

Plain boto 2 code, as a legacy program has it; the test runs it as
``python -m boto_sigv4_shim e2e_client.py <suffix>`` and reads one JSON
object per line from stdout.  Must stay valid on Python 2.7.
"""
from __future__ import print_function

import json
import sys

import boto
import boto.ec2
import boto.s3
from boto.s3.connection import OrdinaryCallingFormat, S3Connection

try:
    from urllib.request import urlopen
except ImportError:
    from urllib2 import urlopen


def report(step, **values):
    values["step"] = step
    print(json.dumps(values, sort_keys=True))
    sys.stdout.flush()


def main(suffix, store_port):
    import boto_sigv4_shim
    report("shim", installed=boto_sigv4_shim.is_installed(),
           version=boto_sigv4_shim.__version__, python=sys.version.split()[0])

    conn = boto.connect_s3()
    name = "e2e-us-" + suffix
    bucket = conn.create_bucket(name)
    bucket.new_key("k").set_contents_from_string("hello " + suffix)
    body = bucket.get_key("k").get_contents_as_string()
    report("s3-default", host=conn.host, body=body.decode("utf-8"))

    url = conn.generate_url(300, "GET", name, "k")
    report("s3-presigned", body=urlopen(url, timeout=10).read().decode("utf-8"))

    regional = boto.s3.connect_to_region("ap-southeast-5")
    other = "e2e-apse5-" + suffix
    regional.create_bucket(other, location="ap-southeast-5") \
        .new_key("r").set_contents_from_string("far")
    # A fresh process would not know the region: drop what create_bucket
    # taught the cache, then reach the bucket through the default connection.
    from boto_sigv4_shim import bucket_regions
    bucket_regions.CACHE.clear()
    far = conn.get_bucket(other).get_key("r").get_contents_as_string()
    report("s3-discovered", host=regional.host, body=far.decode("utf-8"))

    ec2 = boto.ec2.connect_to_region("mx-central-1")
    zones = [z.name for z in ec2.get_all_zones()]
    report("ec2", host=ec2.host, zones=len(zones))

    store = S3Connection(host="127.0.0.1", port=store_port, is_secure=False,
                         calling_format=OrdinaryCallingFormat())
    store.create_bucket("e2e-store-" + suffix)
    report("store", buckets=len(store.get_all_buckets()) > 0)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
