"""``make demo``: a legacy boto 2 program against a loopback AWS stand-in.

Starts moto and the SigV4-checking AWS front on 127.0.0.1 (TLS with a test CA
on the real AWS host names, routed to loopback inside the program's process
only), then runs ``examples/legacy_app.py`` unchanged, twice:

1. plain ``python examples/legacy_app.py``: S3 still signs with SigV2 and is
   refused, new regions are unknown to boto;
2. ``python -m boto_sigv4_shim examples/legacy_app.py``: every call passes.

After each run it prints every HTTP call the front saw: method, host,
signature version, credential-scope region and the answer.  Exit status 0
when the shimmed run passes.
"""
from __future__ import print_function

import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from tests.support import route, testca  # noqa: E402
from tests.support.front import (AwsFront, TEST_ACCESS_KEY,  # noqa: E402
                                 TEST_SECRET_KEY)
from tests.support.moto_server import MotoServer  # noqa: E402

APP = os.path.join(REPO, "examples", "legacy_app.py")
AUTH_NAMES = {"sigv4": "SigV4", "sigv4-query": "SigV4 (URL)",
              "sigv2": "SigV2", "sigv2-query": "SigV2 (URL)",
              "anonymous": "none"}


def client_environment(workdir, front, certs):
    boto_config = os.path.join(workdir, "boto.cfg")
    with open(boto_config, "w") as handle:
        handle.write("[Boto]\nca_certificates_file = %s\nnum_retries = 1\n"
                     "metadata_service_num_attempts = 0\n"
                     "https_validate_certificates = True\n" % certs.ca)
    for name in ("aws_config", "aws_credentials"):
        open(os.path.join(workdir, name), "w").close()
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": workdir,
        "BOTO_CONFIG": boto_config,
        "AWS_CONFIG_FILE": os.path.join(workdir, "aws_config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(workdir, "aws_credentials"),
        "AWS_ACCESS_KEY_ID": TEST_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": TEST_SECRET_KEY,
        # The stand-in's CA plays the part of the system trust store.
        "SSL_CERT_FILE": certs.ca,
        route.ENV_VAR: front.route_json(),
        "PYTHONPATH": REPO,
        "PYTHONIOENCODING": "utf-8",
    }


def show_calls(front):
    print("  calls seen by the loopback AWS front:")
    print("    %-6s %-52s %-11s %-14s %s" % ("method", "host", "signature",
                                            "region", "answer"))
    for record in front.requests:
        answer = "%s %s" % (record.status, record.error or "OK")
        print("    %-6s %-52s %-11s %-14s %s" % (
            record.method, (record.host or "")[:52],
            AUTH_NAMES.get(record.auth, record.auth), record.region or "-",
            answer))


def run(title, argv, env, front):
    print("\n=== %s\n$ %s" % (title, " ".join(
        os.path.relpath(a, REPO) if a.startswith(REPO) else a for a in argv)))
    front.clear()
    sys.stdout.flush()
    code = subprocess.call(argv, env=env, cwd=REPO)
    show_calls(front)
    return code


def main():
    workdir = tempfile.mkdtemp(prefix="shim-demo-")
    try:
        certs = testca.make_certs(os.path.join(workdir, "certs"))
        with MotoServer() as moto, AwsFront(moto.url, certs) as front:
            env = client_environment(workdir, front, certs)
            env["DEMO_SUFFIX"] = "plain"
            run("without the shim: python examples/legacy_app.py",
                [sys.executable, APP], env, front)
            env["DEMO_SUFFIX"] = "shimmed"
            code = run("with the shim: python -m boto_sigv4_shim "
                       "examples/legacy_app.py",
                       [sys.executable, "-m", "boto_sigv4_shim", APP], env,
                       front)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\nshimmed run: %s" % ("every call passed" if code == 0 else
                                 "FAILED (exit %d)" % code))
    return code


if __name__ == "__main__":
    sys.exit(main())
