"""The end-to-end subset under every supported interpreter, in a subprocess.

Servers (moto, the front) run here, in the main test interpreter; only the
boto 2 client runs under each Python, from its own environment that
``make test`` builds (``.venv/clients/py<XY>``).  A missing one is skipped
with the reason, never passed silently.
"""
import json
import os
import uuid

import pytest

from tests.support import clients

CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "e2e_client.py")


@pytest.mark.parametrize("version", clients.EXPECTED_VERSIONS)
def test_legacy_client_under_the_runner(version, front, client_env, test_certs):
    python = clients.require_python(version)
    suffix = uuid.uuid4().hex[:12]
    env = dict(client_env, SSL_CERT_FILE=test_certs.ca)
    proc = clients.run(python, ["-m", "boto_sigv4_shim", CLIENT, suffix,
                                str(front.http_port)], env, timeout=180)
    assert proc.returncode == 0, proc.stderr
    steps = dict((d["step"], d) for d in
                 (json.loads(line) for line in proc.stdout.splitlines()))
    assert steps["shim"]["installed"] is True
    assert steps["shim"]["python"].startswith(version + ".")
    assert steps["s3-default"] == {"step": "s3-default",
                                   "host": "s3.amazonaws.com",
                                   "body": "hello " + suffix}
    assert steps["s3-presigned"]["body"] == "hello " + suffix
    assert steps["s3-discovered"] == {
        "step": "s3-discovered", "host": "s3.ap-southeast-5.amazonaws.com",
        "body": "far"}
    assert steps["ec2"]["host"] == "ec2.mx-central-1.amazonaws.com"
    assert steps["ec2"]["zones"] > 0
    assert steps["store"]["buckets"] is True
    kinds = set(r.auth for r in front.requests)
    assert kinds <= set(["sigv4", "sigv4-query"]), front.requests
    wrong = [r for r in front.requests if r.status != 200]
    # Exactly one wrong-region answer: the discovery of the far bucket.
    assert [(r.method, r.region, r.status) for r in wrong] == [
        ("HEAD", "us-east-1", 301 if wrong and wrong[0].status == 301 else 400)]
    assert "user-agent" not in set(
        h for r in front.requests for h in (r.signed_headers or ()))
