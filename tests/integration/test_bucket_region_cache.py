"""The on-disk bucket-region cache across real processes (boto 2 clients on
the 3.11 client environment, the front and moto in this process).

The client runs with ``PYTHONPATH`` set to this work tree, so it tests the
shim as it is here even when ``.venv/clients`` holds an older build.
"""
import json
import os
import stat

import boto.s3

from boto_sigv4_shim import bucket_regions
from tests.support import clients

CLIENT = """
import json
import sys

import boto

bucket = boto.connect_s3().get_bucket(sys.argv[1], validate=False)
body = bucket.get_key("k").get_contents_as_string()
print(json.dumps({"body": body.decode("utf-8")}))
"""


def test_second_process_goes_straight_to_the_learnt_region(
        front, client_env, test_certs, tmp_path, unique_bucket):
    python = clients.require_python("3.11")
    name = unique_bucket()
    boto.s3.connect_to_region("eu-west-3").create_bucket(
        name, location="eu-west-3").new_key("k").set_contents_from_string("far")
    bucket_regions.CACHE.clear()
    script = tmp_path / "client.py"
    script.write_text(CLIENT)
    cache = tmp_path / "cache" / "bucket-regions.json"
    cache.parent.mkdir()
    env = dict(client_env, SSL_CERT_FILE=test_certs.ca,
               PYTHONPATH=clients.REPO,
               BOTO_SIGV4_SHIM_BUCKET_REGION_CACHE=str(cache))

    def run():
        front.clear()
        proc = clients.run(python, ["-m", "boto_sigv4_shim", str(script),
                                    name], env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout) == {"body": "far"}
        return [(r.method, r.host.split(".", 1)[1], r.region, r.status)
                for r in front.requests]

    # The first process learns the region from S3's wrong-region answer ...
    first = run()
    assert first[0] == ("HEAD", "s3.amazonaws.com", "us-east-1", first[0][3])
    assert first[0][3] in (301, 400)
    assert first[1:] == [("HEAD", "s3.eu-west-3.amazonaws.com", "eu-west-3",
                          200),
                         ("GET", "s3.eu-west-3.amazonaws.com", "eu-west-3",
                          200)]
    entries = json.loads(cache.read_text())["entries"]
    assert list(entries) == ["aws/" + name]
    assert entries["aws/" + name]["region"] == "eu-west-3"
    assert stat.S_IMODE(os.stat(str(cache)).st_mode) == 0o600
    # ... the second one never asks the wrong region.
    assert run() == first[1:]
