"""The credential chain end to end: boto 2 connections signing with
credentials from each source, against loopback stand-ins of the right shape
(IMDS, container endpoint, moto's STS behind the AWS front, a
credential_process script), reached through the SDK-standard overrides.

Keys issued by the stand-ins are registered in the front's credentials (a
per-test copy), so the front verifies every signature made with them.
"""
import json
import logging
import stat
import sys
import threading
import time
import uuid

import boto
import boto.ec2
import pytest

from boto_sigv4_shim import _handlers, credentials, redact
from tests.support import clients
from tests.support.container_creds import ContainerCredsServer, container_env
from tests.support.front import TEST_ACCESS_KEY, TEST_SECRET_KEY
from tests.support.imds import (CredentialIssuer, ExpiringKeys, ImdsServer,
                                imds_env)

TOKEN = "FwoGZXIvYXdzEShimSessionToken" + "q" * 48
ROLE_ARN = "arn:aws:iam::123456789012:role/shim-deploy"


@pytest.fixture(autouse=True)
def fresh_sources():
    credentials.clear_cache()
    yield
    credentials.clear_cache()


@pytest.fixture
def registry(front, monkeypatch):
    """The front's accepted keys, a copy this test may add to."""
    keys = dict(front.credentials)
    monkeypatch.setattr(front, "credentials", keys)
    return keys


@pytest.fixture
def no_env_keys(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def aws_files(tmp_path, monkeypatch):
    """Fresh ~/.aws/config and credentials for this test."""
    config = tmp_path / "aws_config"
    creds = tmp_path / "aws_credentials"
    config.write_text("")
    creds.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    return config, creds


def exercise(bucket_name):
    """One S3 and one EC2 round trip with fresh connections."""
    s3 = boto.connect_s3()
    bucket = s3.create_bucket(bucket_name)
    bucket.new_key("k").set_contents_from_string("v")
    assert bucket.get_key("k").get_contents_as_string() == b"v"
    ec2 = boto.ec2.connect_to_region("eu-west-1")
    assert ec2.get_all_zones()
    return s3, ec2


def assert_signed_with(records, access_key, token):
    assert records
    for record in records:
        assert record.status < 300, record
        assert record.access_key == access_key, record
        assert record.header("X-Amz-Security-Token") == token, record
        assert "x-amz-security-token" in record.signed_headers, record
    assert set(r.service for r in records) >= set(["s3", "ec2"])


def test_session_token_from_environment_is_signed(front, monkeypatch,
                                                  unique_bucket):
    """boto 2 alone ignores AWS_SESSION_TOKEN: temporary keys then fail."""
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "the-older-name-loses-000")
    exercise(unique_bucket())
    assert_signed_with(front.requests, TEST_ACCESS_KEY, TOKEN)


def test_session_token_from_shared_credentials_file(front, aws_files,
                                                    no_env_keys,
                                                    unique_bucket):
    aws_files[1].write_text(
        "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
        "aws_session_token = %s\n" % (TEST_ACCESS_KEY, TEST_SECRET_KEY, TOKEN))
    exercise(unique_bucket())
    assert_signed_with(front.requests, TEST_ACCESS_KEY, TOKEN)


@pytest.mark.parametrize("mode", ["v2", "v1-only"])
def test_instance_metadata(front, registry, no_env_keys, monkeypatch, mode,
                           unique_bucket):
    issuer = CredentialIssuer(registry=registry)
    with ImdsServer(issuer, mode=mode) as imds:
        for name, value in imds_env(imds).items():
            monkeypatch.setenv(name, value)
        s3, _ = exercise(unique_bucket())
    key = s3.provider.access_key
    assert key == "ASIASTANDIN000001" and issuer.issued == 1  # one shared set
    assert_signed_with(front.requests, key, issuer.secrets[key][1])
    tokens = [t for m, _, t in imds.requests if m == "GET"]
    if mode == "v2":
        assert all(tokens) and imds.requests[0][0] == "PUT"
    else:
        assert tokens == [None, None]


def test_container_credentials_send_the_authorization_token(
        front, registry, no_env_keys, monkeypatch, unique_bucket):
    issuer = CredentialIssuer(registry=registry, prefix="ASIATASK")
    with ContainerCredsServer(issuer, token="pod-identity-token-0123") as srv:
        for name, value in container_env(srv).items():
            monkeypatch.setenv(name, value)
        s3, _ = exercise(unique_bucket())
    key = s3.provider.access_key
    assert key.startswith("ASIATASK")
    assert_signed_with(front.requests, key, issuer.secrets[key][1])
    assert [a for _, _, a in srv.requests] == ["pod-identity-token-0123"]


def test_assume_role_profile_through_regional_sts(
        front, registry, aws_files, no_env_keys, monkeypatch, unique_bucket):
    config, creds = aws_files
    config.write_text("[profile deploy]\nrole_arn = %s\nsource_profile = base\n"
                      "role_session_name = shim-test\n" % ROLE_ARN)
    creds.write_text("[base]\naws_access_key_id = %s\n"
                     "aws_secret_access_key = %s\n"
                     % (TEST_ACCESS_KEY, TEST_SECRET_KEY))
    monkeypatch.setenv("AWS_PROFILE", "deploy")
    monkeypatch.setenv("AWS_REGION", "eu-central-1")
    s3 = boto.connect_s3()
    (sts,) = front.requests
    assert (sts.host, sts.service, sts.region, sts.access_key, sts.status) == (
        "sts.eu-central-1.amazonaws.com", "sts", "eu-central-1",
        TEST_ACCESS_KEY, 200)
    access_key, secret_key, token = credentials.snapshot(s3.provider)
    assert access_key != TEST_ACCESS_KEY and token
    registry[access_key] = secret_key
    front.clear()
    exercise(unique_bucket())
    assert_signed_with(front.requests, access_key, token)  # no second STS call


def test_web_identity_through_regional_sts(front, registry, no_env_keys,
                                           tmp_path, monkeypatch,
                                           unique_bucket):
    """AssumeRoleWithWebIdentity goes unsigned, as real STS takes it (and
    the front, like STS, accepts that one action unsigned)."""
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzaGltIn0." + uuid.uuid4().hex * 2
    token_file = tmp_path / "token"
    token_file.write_text(jwt)
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE_ARN)
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "pod-session")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-5")
    records = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: records.append(handler.format(record))
    logging.getLogger("boto_sigv4_shim").addHandler(handler)
    try:
        ec2 = boto.ec2.connect_to_region("eu-west-1")
    finally:
        logging.getLogger("boto_sigv4_shim").removeHandler(handler)
    (sts,) = front.requests
    assert (sts.host, sts.auth, sts.status) == (
        "sts.ap-southeast-5.amazonaws.com", "anonymous", 200)
    access_key, secret_key, token = credentials.snapshot(ec2.provider)
    registry[access_key] = secret_key
    front.clear()
    assert ec2.get_all_zones()
    (call,) = front.requests
    assert (call.access_key, call.status) == (access_key, 200)
    assert call.header("X-Amz-Security-Token") == token
    assert jwt not in "\n".join(records)
    assert redact.scrub("WebIdentityToken=" + jwt).endswith(redact.REDACTED)


def test_credential_process(front, aws_files, no_env_keys, tmp_path,
                            unique_bucket):
    script = tmp_path / "helper.py"
    script.write_text(
        "#!%s\nimport json\nprint(json.dumps({'Version': 1, 'AccessKeyId': "
        "%r, 'SecretAccessKey': %r, 'SessionToken': %r}))\n"
        % (sys.executable, TEST_ACCESS_KEY, TEST_SECRET_KEY, TOKEN))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    aws_files[0].write_text("[default]\ncredential_process = %s\n" % script)
    exercise(unique_bucket())
    assert_signed_with(front.requests, TEST_ACCESS_KEY, TOKEN)


def test_missing_profile_raises_botos_error(no_env_keys, monkeypatch):
    from boto.provider import ProfileNotFoundError
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    with pytest.raises(ProfileNotFoundError):
        boto.connect_s3()


# -- refresh under concurrency -------------------------------------------------------

def test_sixteen_threads_never_sign_with_an_expired_set(
        front, registry, no_env_keys, monkeypatch):
    """Credentials live 1.5 s; the refresh windows shrink to 1.0 / 0.6 s.
    16 threads sign EC2 and S3 requests for 3 s while sets expire; the front
    refuses any key its issuer says has expired.  Every request succeeds,
    several sets are used, and IMDS is asked about once per set, not once
    per thread."""
    assert "snapshot" in _handlers._SigV4Mixin._credentials.__code__.co_names
    monkeypatch.setattr(credentials, "ADVISORY_REFRESH_SECONDS", 1.0)
    monkeypatch.setattr(credentials, "MANDATORY_REFRESH_SECONDS", 0.6)
    keys = ExpiringKeys(registry, [])
    issuer = CredentialIssuer(lifetime=1.5, registry=keys)
    keys.issuers.append(issuer)
    monkeypatch.setattr(front, "credentials", keys)
    failures = []
    with ImdsServer(issuer, mode="v2") as imds:
        for name, value in imds_env(imds).items():
            monkeypatch.setenv(name, value)
        stop = time.time() + 3.0

        def work(number):
            try:
                if number % 2:
                    conn = boto.ec2.connect_to_region("eu-west-1")
                    call = conn.get_all_zones
                else:
                    conn = boto.connect_s3()
                    call = conn.get_all_buckets
                while time.time() < stop:
                    call()
            except Exception as error:  # noqa: BLE001 -- reported below
                failures.append(repr(error)[:300])

        threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert not failures, failures[:3]
    assert keys.expired_uses == []
    used = set(r.access_key for r in front.requests)
    assert all(r.status == 200 for r in front.requests)
    assert len(used) >= 3 and used <= set(issuer.expiry)
    assert len(front.requests) >= 50
    assert len(imds.credential_fetches()) <= issuer.issued <= 12


# -- other interpreters ----------------------------------------------------------------

CLIENT = r"""
import json, os
import boto_sigv4_shim
import boto, boto.ec2
out = {"installed": boto_sigv4_shim.is_installed()}
s3 = boto.connect_s3()
bucket = s3.create_bucket(os.environ["SHIM_TEST_BUCKET"])
bucket.new_key("k").set_contents_from_string("from env")
out["env_key"] = s3.provider.access_key
for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    del os.environ[name]
ec2 = boto.ec2.connect_to_region("eu-west-1")
out["zones"] = len(ec2.get_all_zones())
s3 = boto.connect_s3()
out["body"] = s3.get_bucket(bucket.name).get_key("k").get_contents_as_string(
    ).decode("utf-8")
out["container_key"] = s3.provider.access_key
print(json.dumps(out))
"""


@pytest.mark.parametrize("version", [v for v in ("2.7", "3.13")
                                     if v in clients.EXPECTED_VERSIONS])
def test_chain_under_other_interpreters(version, front, registry, client_env,
                                        test_certs, unique_bucket):
    """AWS_SESSION_TOKEN from the environment, then (keys removed) a
    container-credentials endpoint, in a 2.7 / 3.13 client process."""
    python = clients.require_python(version)
    issuer = CredentialIssuer(registry=registry, prefix="ASIAPY")
    with ContainerCredsServer(issuer, token="task-token-for-" + version) as srv:
        env = dict(client_env, SSL_CERT_FILE=test_certs.ca,
                   AWS_SESSION_TOKEN=TOKEN, SHIM_TEST_BUCKET=unique_bucket(),
                   **container_env(srv))
        proc = clients.run(python, ["-c", CLIENT], env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["installed"] is True and out["body"] == "from env"
    assert out["env_key"] == TEST_ACCESS_KEY and out["zones"] > 0
    key = out["container_key"]
    assert key.startswith("ASIAPY")
    assert [a for _, _, a in srv.requests] == ["task-token-for-" + version]
    env_records = [r for r in front.requests if r.access_key == TEST_ACCESS_KEY]
    task_records = [r for r in front.requests if r.access_key == key]
    assert len(env_records) + len(task_records) == len(front.requests)
    assert all(r.status == 200 and r.header("X-Amz-Security-Token") == TOKEN
               and "x-amz-security-token" in r.signed_headers
               for r in env_records) and env_records
    task_token = issuer.secrets[key][1]
    assert all(r.status == 200 and r.header("X-Amz-Security-Token") ==
               task_token for r in task_records)
    assert set(r.service for r in task_records) == set(["s3", "ec2"])
