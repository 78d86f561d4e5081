"""The credential chain without boto connections: order, files, profiles,
credential_process, IMDS and container stand-ins, refresh windows."""
import os
import stat
import sys
import threading
import time

import pytest

from boto_sigv4_shim import credential_fetchers as fetchers
from boto_sigv4_shim import credentials
from boto_sigv4_shim.credentials import (CredentialError, Credentials,
                                         ProfileNotFound,
                                         RefreshableCredentials)
from boto_sigv4_shim.settings import FileConfig
from tests.support.container_creds import ContainerCredsServer, container_env
from tests.support.imds import CredentialIssuer, ImdsServer, imds_env

SECRET = "unitSecretKey/abcdefghijklmnopqrstuvwxyz0123"
TOKEN = "unitSessionToken" + "x" * 40


@pytest.fixture(autouse=True)
def fresh_cache():
    credentials.clear_cache()
    yield
    credentials.clear_cache()


@pytest.fixture
def files(tmp_path):
    """Write aws config / credentials / boto config; build the environ."""

    class Files(object):
        def __init__(self):
            self.config = str(tmp_path / "config")
            self.creds = str(tmp_path / "credentials")
            self.boto = str(tmp_path / "boto.cfg")
            for path in (self.config, self.creds, self.boto):
                open(path, "w").close()
            self.env = {"AWS_CONFIG_FILE": self.config,
                        "AWS_SHARED_CREDENTIALS_FILE": self.creds,
                        "HOME": str(tmp_path)}

        def write(self, which, text):
            path = getattr(self, which)
            with open(path, "w") as handle:
                handle.write(text)
            # mtime-cached readers: make each write visible
            stamp = time.time() + len(text)
            os.utime(path, (stamp, stamp))

        def boto_config(self):
            return FileConfig([self.boto])

        def resolve(self, **kwargs):
            return credentials.resolve(environ=self.env,
                                       config=self.boto_config(), **kwargs)

    return Files()


def frozen(found):
    creds = found.frozen()
    return creds.access_key, creds.secret_key, creds.token


# -- environment and explicit arguments -----------------------------------------

@pytest.mark.parametrize("names,expected", [
    (("AWS_SESSION_TOKEN",), "session"),
    (("AWS_SECURITY_TOKEN",), "security"),
    (("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"), "session"),
])
def test_environment_reads_both_token_names(files, names, expected):
    files.env.update(AWS_ACCESS_KEY_ID="AKENV", AWS_SECRET_ACCESS_KEY=SECRET)
    for name in names:
        files.env[name] = "%s-%s" % (name.split("_")[1].lower(), TOKEN)
    assert frozen(files.resolve()) == ("AKENV", SECRET,
                                       "%s-%s" % (expected, TOKEN))


def test_environment_without_secret_is_an_error(files):
    files.env["AWS_ACCESS_KEY_ID"] = "AKENV"
    with pytest.raises(CredentialError) as info:
        files.resolve()
    assert "AWS_SECRET_ACCESS_KEY" in str(info.value)


def test_explicit_arguments_win_and_take_no_foreign_token(files):
    files.env.update(AWS_ACCESS_KEY_ID="AKENV", AWS_SECRET_ACCESS_KEY=SECRET,
                     AWS_SESSION_TOKEN=TOKEN)
    found = files.resolve(access_key="AKARG", secret_key="argSecret123456")
    assert frozen(found) == ("AKARG", "argSecret123456", None)
    found = files.resolve(access_key="AKARG", secret_key="argSecret123456",
                          security_token="argToken12345")
    assert frozen(found) == ("AKARG", "argSecret123456", "argToken12345")


def test_explicit_token_alone_completes_from_the_chain(files):
    files.env.update(AWS_ACCESS_KEY_ID="AKENV", AWS_SECRET_ACCESS_KEY=SECRET)
    assert frozen(files.resolve(security_token="argToken12345")) == \
        ("AKENV", SECRET, "argToken12345")


# -- files and profiles ---------------------------------------------------------

@pytest.mark.parametrize("token_name", ["aws_session_token",
                                        "aws_security_token"])
def test_shared_credentials_file_token_names(files, token_name):
    files.write("creds", "[default]\naws_access_key_id = AKFILE\n"
                "aws_secret_access_key = %s\n%s = %s\n"
                % (SECRET, token_name, TOKEN))
    assert frozen(files.resolve()) == ("AKFILE", SECRET, TOKEN)


def test_chain_order_between_static_sources(files):
    files.write("boto", "[Credentials]\naws_access_key_id = AKBOTO\n"
                "aws_secret_access_key = botoSecret12345\n")
    assert files.resolve().frozen().access_key == "AKBOTO"
    files.write("config", "[default]\naws_access_key_id = AKCONFIG\n"
                "aws_secret_access_key = configSecret1234\n")
    assert files.resolve().frozen().access_key == "AKCONFIG"
    files.write("creds", "[default]\naws_access_key_id = AKFILE\n"
                "aws_secret_access_key = fileSecret123456\n")
    assert files.resolve().frozen().access_key == "AKFILE"
    files.env.update(AWS_ACCESS_KEY_ID="AKENV", AWS_SECRET_ACCESS_KEY=SECRET)
    assert files.resolve().frozen().access_key == "AKENV"


def test_profile_selection_order(files):
    files.write("creds", "".join(
        "[%s]\naws_access_key_id = AK%s\naws_secret_access_key = s%s12345678\n"
        % (name, name.upper(), name) for name in ("default", "arg", "env",
                                                  "defenv", "boto")))
    files.write("boto", "[Boto]\nprofile = boto\n")
    files.env.update(AWS_PROFILE="env", AWS_DEFAULT_PROFILE="defenv")

    def key(**kwargs):
        return files.resolve(**kwargs).frozen().access_key

    assert key(profile_name="arg") == "AKARG"
    assert key() == "AKENV"
    del files.env["AWS_PROFILE"]
    assert key() == "AKDEFENV"
    del files.env["AWS_DEFAULT_PROFILE"]
    assert key() == "AKBOTO"
    files.write("boto", "")
    assert key() == "AKDEFAULT"


def test_named_profile_in_boto_config_as_boto_reads_it(files):
    files.write("boto", "[profile legacy]\naws_access_key_id = AKLEGACY\n"
                "aws_secret_access_key = legacySecret123\n"
                "aws_security_token = %s\n" % TOKEN)
    assert frozen(files.resolve(profile_name="legacy")) == \
        ("AKLEGACY", "legacySecret123", TOKEN)


def test_missing_named_profile_raises(files):
    files.env["AWS_PROFILE"] = "nope"
    with pytest.raises(ProfileNotFound):
        files.resolve()


def test_nothing_configured_is_none_and_costs_no_network(files, monkeypatch):
    """No source set up: None, without asking IMDS when attempts = 0 and
    within one short timeout otherwise (nothing listens on the endpoint)."""
    files.write("boto", "[Boto]\nmetadata_service_num_attempts = 0\n")
    calls = []
    monkeypatch.setattr(fetchers, "http_request",
                        lambda *a, **k: calls.append(a))
    assert files.resolve() is None and calls == []
    monkeypatch.undo()
    files.write("boto", "")
    files.env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:9/"
    start = time.time()
    assert files.resolve() is None
    assert files.resolve() is None  # negative cache: not asked again
    assert time.time() - start < 1.5


def test_imds_disabled_switch(files, monkeypatch):
    files.env["AWS_EC2_METADATA_DISABLED"] = "true"
    monkeypatch.setattr(fetchers, "fetch_imds", pytest.fail)
    assert files.resolve() is None


# -- credential_process ---------------------------------------------------------

def write_script(path, body):
    with open(path, "w") as handle:
        handle.write("#!%s\nimport json, sys\n%s\n" % (sys.executable, body))
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


def test_credential_process(files, tmp_path):
    script = write_script(str(tmp_path / "creds helper.py"), (
        "print(json.dumps({'Version': 1, 'AccessKeyId': 'AKPROC', "
        "'SecretAccessKey': %r, 'SessionToken': %r, "
        "'Expiration': '2999-01-01T00:00:00Z'}))" % (SECRET, TOKEN)))
    files.write("config", "[profile proc]\ncredential_process = '%s' --flag\n"
                % script)
    found = files.resolve(profile_name="proc")
    assert found.refreshable
    assert frozen(found) == ("AKPROC", SECRET, TOKEN)
    assert found.expiry == 32472144000.0


def test_credential_process_order_and_failure(files, tmp_path):
    script = write_script(str(tmp_path / "fail.py"), (
        "sys.stderr.write('no creds for you\\n'); sys.exit(3)"))
    files.write("config", "[default]\ncredential_process = %s\n"
                "aws_access_key_id = AKCONFIG\n"
                "aws_secret_access_key = configSecret1234\n" % script)
    with pytest.raises(CredentialError) as info:  # process before config keys
        files.resolve()
    assert "status 3" in str(info.value) and "no creds for you" in \
        str(info.value)
    files.write("creds", "[default]\naws_access_key_id = AKFILE\n"
                "aws_secret_access_key = fileSecret123456\n")
    assert files.resolve().frozen().access_key == "AKFILE"  # file first


def test_credential_process_version_checked(files, tmp_path):
    script = write_script(str(tmp_path / "v2.py"), (
        "print(json.dumps({'Version': 2, 'AccessKeyId': 'A', "
        "'SecretAccessKey': %r}))" % SECRET))
    files.write("config", "[default]\ncredential_process = %s\n" % script)
    with pytest.raises(CredentialError) as info:
        files.resolve()
    assert "Version 2" in str(info.value) and SECRET not in str(info.value)


# -- instance metadata ----------------------------------------------------------

def test_imds_v2_token_on_every_get(files):
    issuer = CredentialIssuer()
    with ImdsServer(issuer, mode="v2") as imds:
        files.env.update(imds_env(imds))
        found = files.resolve()
        assert found.refreshable
        assert found.frozen().access_key == "ASIASTANDIN000001"
    methods = [(m, p) for m, p, _ in imds.requests]
    assert methods[0] == ("PUT", "/latest/api/token")
    assert all(token and token.startswith("imds-token-")
               for m, _, token in imds.requests if m == "GET")


@pytest.mark.parametrize("put_status", [403, 404, 405])
def test_imds_v1_fallback_only_when_put_refused(files, put_status):
    issuer = CredentialIssuer()
    with ImdsServer(issuer, mode="v1-only", put_status=put_status) as imds:
        files.env.update(imds_env(imds))
        assert files.resolve().frozen().access_key == "ASIASTANDIN000001"
        assert [t for m, _, t in imds.requests if m == "GET"] == [None, None]
        credentials.clear_cache()
        files.env["AWS_EC2_METADATA_V1_DISABLED"] = "true"
        with pytest.raises(CredentialError) as info:
            files.resolve()
        assert "IMDSv1 is switched off" in str(info.value)


def test_imds_401_on_get_is_an_error(files, monkeypatch):
    """A token the service does not accept: an error, not a v1 fallback."""
    issuer = CredentialIssuer()
    with ImdsServer(issuer, mode="v2") as imds:
        files.env.update(imds_env(imds))
        monkeypatch.setattr(imds, "_valid", lambda token: False)
        with pytest.raises(CredentialError) as info:
            files.resolve()
    assert "401" in str(info.value)
    assert [m for m, _, _ in imds.requests] == ["PUT", "GET"]


def test_imds_v1_allowed_still_uses_v2(files):
    issuer = CredentialIssuer()
    with ImdsServer(issuer, mode="v1-allowed") as imds:
        files.env.update(imds_env(imds))
        files.resolve()
    assert all(t for m, _, t in imds.requests if m == "GET")


# -- container credentials ------------------------------------------------------

def test_container_credentials_with_token_and_token_file(files, tmp_path):
    issuer = CredentialIssuer()
    with ContainerCredsServer(issuer, token="Bearer pod-token-123456") as srv:
        files.env.update(container_env(srv))
        found = files.resolve()
        assert found.frozen().access_key == "ASIASTANDIN000001"
        token_file = tmp_path / "token"
        token_file.write_text("Bearer pod-token-123456\n")
        credentials.clear_cache()
        files.env.update(container_env(srv, str(token_file)))
        files.env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "wrong-token"
        assert files.resolve().frozen().access_key == "ASIASTANDIN000002"
        credentials.clear_cache()
        token_file.write_text("Bearer rotated-wrong")
        with pytest.raises(CredentialError) as info:
            files.resolve()
    assert "401" in str(info.value) and "rotated" not in str(info.value)
    assert [a for _, _, a in srv.requests][:2] == \
        ["Bearer pod-token-123456"] * 2


@pytest.mark.parametrize("uri,allowed", [
    ("http://127.0.0.1:8080/creds", True),
    ("http://localhost/creds", True),
    ("http://[::1]:80/creds", True),
    ("http://169.254.170.23/v1/credentials", True),
    ("https://creds.example.com/x", True),
    ("http://creds.example.com/x", False),
    ("http://10.0.0.1/x", False),
    ("ftp://127.0.0.1/x", False),
])
def test_container_full_uri_hosts(uri, allowed):
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": uri}
    if allowed:
        assert fetchers.container_url(env) == uri
    else:
        with pytest.raises(CredentialError):
            fetchers.container_url(env)


def test_container_relative_uri_goes_to_the_ecs_agent():
    assert fetchers.container_url({
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/abc",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1/ignored"}) \
        == "http://169.254.170.2/v2/credentials/abc"


def test_container_only_when_configured(files, monkeypatch):
    files.write("boto", "[Boto]\nmetadata_service_num_attempts = 0\n")
    monkeypatch.setattr(fetchers, "fetch_container", pytest.fail)
    assert files.resolve() is None


# -- refresh windows --------------------------------------------------------------

class Source(object):
    """fetch() -> a new set expiring ``lifetime`` seconds ahead."""

    def __init__(self, lifetime, fail=False, delay=0.0):
        self.lifetime = lifetime
        self.fail = fail
        self.delay = delay
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.calls += 1
            number = self.calls
        time.sleep(self.delay)
        if self.fail:
            raise CredentialError("boto_sigv4_shim: stand-in refuses")
        return Credentials("AK%06d" % number, "secret%06d-abcdefgh" % number,
                           "token%06d-abcdefgh" % number,
                           time.time() + self.lifetime, "unit source")


def test_outside_the_windows_no_refresh():
    source = Source(3600)
    holder = RefreshableCredentials(source, "unit")
    for _ in range(100):
        holder.frozen()
    assert source.calls == 1


@pytest.fixture
def no_retry_pause(monkeypatch):
    monkeypatch.setattr(credentials, "REFRESH_RETRY_SECONDS", 0.0)


def test_advisory_window_refreshes_and_survives_a_failure(caplog,
                                                          no_retry_pause):
    source = Source(12 * 60)  # inside advisory, outside mandatory
    holder = RefreshableCredentials(source, "unit")
    assert holder.frozen().access_key == "AK000002"  # refreshed once
    source.fail = True
    assert holder.frozen().access_key == "AK000002"  # failure: keep it
    assert "advisory" in caplog.text


def test_mandatory_window_waits_and_a_failure_raises(no_retry_pause):
    source = Source(5 * 60)
    holder = RefreshableCredentials(source, "unit")
    creds = holder.frozen()
    assert creds.access_key == "AK000002"
    source.fail = True
    with pytest.raises(CredentialError):
        holder.frozen()


def test_a_source_giving_short_sets_is_not_asked_on_every_call():
    """IMDS hands out the same set until it rotates: inside a window the
    source is asked at most once per REFRESH_RETRY_SECONDS."""
    for lifetime in (12 * 60, 5 * 60):  # advisory, mandatory
        source = Source(lifetime)
        holder = RefreshableCredentials(source, "unit")
        for _ in range(200):
            assert holder.frozen().remaining() > 0
        assert source.calls == 2


def test_an_expired_set_is_never_returned():
    source = Source(-1)
    holder = RefreshableCredentials(source, "unit", initial=Credentials(
        "AKOLD", "oldSecret123456", None, time.time() - 5, "old"))
    with pytest.raises(CredentialError) as info:
        holder.frozen()
    assert "expired" in str(info.value)


def test_sixteen_threads_one_refresh_each_window(monkeypatch):
    """16 threads at the mandatory edge: the waiters take the refreshed set,
    nobody refreshes twice for one expiry, no expired set is handed out."""
    monkeypatch.setattr(credentials, "ADVISORY_REFRESH_SECONDS", 0.6)
    monkeypatch.setattr(credentials, "MANDATORY_REFRESH_SECONDS", 0.3)
    source = Source(0.8, delay=0.05)
    holder = RefreshableCredentials(source, "unit")
    seen, bad = [], []
    stop = time.time() + 2.0

    def work():
        while time.time() < stop:
            asked = time.time()
            creds = holder.frozen()
            # Expired when asked for?  (Checking after the return would also
            # count a thread the 2 cores did not schedule for a while.)
            if creds.remaining(now=asked) <= 0:
                bad.append(creds.access_key)
            seen.append(creds.access_key)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not bad
    # about one refresh per 0.3-0.5 s, never one per thread
    assert 3 <= source.calls <= 12, source.calls
    assert len(set(seen)) >= 3


# -- no secrets in messages and reprs ------------------------------------------------

def test_reprs_carry_no_secrets():
    creds = Credentials("AKREPR", SECRET, TOKEN, time.time() + 60, "unit")
    holder = RefreshableCredentials(lambda: creds, "unit", creds)
    for text in (repr(creds), str(creds), repr(holder)):
        assert "AKREPR" in text
        assert SECRET not in text and TOKEN not in text


def test_partial_file_credentials_error_names_no_secret(files):
    files.write("creds", "[default]\naws_access_key_id = AKHALF\n"
                "aws_session_token = %s\n" % TOKEN)
    with pytest.raises(CredentialError) as info:
        files.resolve()
    assert "aws_secret_access_key" in str(info.value)
    assert TOKEN not in str(info.value)


@pytest.mark.parametrize("value,expected", [
    ("2026-11-29T12:00:00Z", 1795953600.0),
    ("2026-11-29T12:00:00.500Z", 1795953600.5),
    ("2026-11-29T13:00:00+01:00", 1795953600.0),
    ("2026-11-29T12:00:00", 1795953600.0),
])
def test_expiration_formats(value, expected):
    assert fetchers.parse_expiration(value, "unit") == expected


# -- assume-role and web-identity profiles (STS stubbed; real STS in the
#    integration tests) ------------------------------------------------------------

@pytest.fixture
def sts(monkeypatch):
    calls = []

    def assume_role(source, role_arn, session_name, region, external_id=None,
                    duration_seconds=None):
        calls.append(("AssumeRole", source.access_key, role_arn, session_name,
                      region, external_id, duration_seconds))
        return Credentials("ASIA%d" % len(calls), "assumedSecret123456",
                           "assumedToken123456", time.time() + 3600, "sts")

    def web_identity(token_file, role_arn, session_name, region,
                     duration_seconds=None):
        calls.append(("AssumeRoleWithWebIdentity", token_file, role_arn,
                      session_name, region))
        return Credentials("ASIAWEB", "webSecret12345678", "webToken123456789",
                           time.time() + 3600, "sts")

    monkeypatch.setattr(fetchers, "assume_role", assume_role)
    monkeypatch.setattr(fetchers, "assume_role_with_web_identity",
                        web_identity)
    return calls


def test_assume_role_chain_of_profiles(files, sts):
    files.write("config", "[profile a]\nrole_arn = arn:a\nsource_profile = b\n"
                "external_id = ext\nduration_seconds = 900\n"
                "role_session_name = sess\n"
                "[profile b]\nrole_arn = arn:b\nsource_profile = c\n"
                "[profile c]\nregion = eu-north-1\n")
    files.write("creds", "[c]\naws_access_key_id = AKC\n"
                "aws_secret_access_key = cSecret12345678\n")
    files.env["AWS_REGION"] = "ap-east-2"
    found = files.resolve(profile_name="a")
    assert found.frozen().access_key == "ASIA2"
    assert sts[0][:3] == ("AssumeRole", "AKC", "arn:b")
    assert sts[1] == ("AssumeRole", "ASIA1", "arn:a", "sess", "ap-east-2",
                      "ext", 900)
    assert files.resolve(profile_name="a") is found  # shared, no new calls
    assert len(sts) == 2


def test_assume_role_beats_static_keys_of_the_same_profile(files, sts):
    files.write("creds", "[p]\naws_access_key_id = AKP\n"
                "aws_secret_access_key = pSecret12345678\n"
                "role_arn = arn:p\nsource_profile = p\n")
    assert files.resolve(profile_name="p").frozen().access_key == "ASIA1"
    assert sts[0][1] == "AKP"  # a profile may be its own source


def test_assume_role_credential_source_environment(files, sts):
    """As in botocore, a profile named in code (profile_name=) takes the
    environment source out of the chain; the role may still use it."""
    files.write("config", "[profile a]\nrole_arn = arn:x\n"
                "credential_source = Environment\n")
    files.env.update(AWS_ACCESS_KEY_ID="AKENV", AWS_SECRET_ACCESS_KEY=SECRET)
    assert files.resolve(profile_name="a").frozen().access_key == "ASIA1"
    assert sts[0][1] == "AKENV"
    files.env["AWS_PROFILE"] = "a"  # from the environment: env keys first
    assert files.resolve().frozen().access_key == "AKENV"


@pytest.mark.parametrize("config,message", [
    ("[profile a]\nrole_arn = arn:a\nsource_profile = b\n"
     "[profile b]\nrole_arn = arn:b\nsource_profile = a\n", "loop"),
    ("[profile a]\nrole_arn = arn:a\nsource_profile = b\nmfa_serial = m\n",
     "MFA"),
    ("[profile a]\nrole_arn = arn:a\ncredential_source = Elsewhere\n",
     "Ec2InstanceMetadata"),
    ("[profile a]\nrole_arn = arn:a\nsource_profile = missing\n",
     "does not exist"),
])
def test_assume_role_configuration_errors(files, sts, config, message):
    files.write("config", config)
    with pytest.raises(CredentialError) as info:
        files.resolve(profile_name="a")
    assert message in str(info.value)


def test_web_identity_from_environment_and_profile(files, sts, tmp_path):
    files.env.update(AWS_WEB_IDENTITY_TOKEN_FILE="/var/run/token",
                     AWS_ROLE_ARN="arn:env", AWS_ROLE_SESSION_NAME="envsess",
                     AWS_DEFAULT_REGION="eu-south-2")
    assert files.resolve().frozen().access_key == "ASIAWEB"
    assert sts[-1] == ("AssumeRoleWithWebIdentity", "/var/run/token",
                       "arn:env", "envsess", "eu-south-2")
    for name in ("AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"):
        del files.env[name]
    files.write("config", "[default]\nweb_identity_token_file = /t\n"
                "role_arn = arn:profile\n")
    files.resolve()
    assert sts[-1][1:3] == ("/t", "arn:profile")


def test_web_identity_token_is_read_at_each_fetch_and_never_shown(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("")
    with pytest.raises(CredentialError) as info:
        fetchers.read_token_file(str(token_file), "web identity token file")
    assert "empty" in str(info.value)
    jwt = "eyJhbGciOi.secretpart" + "z" * 30
    token_file.write_text(jwt + "\n")
    assert fetchers.read_token_file(str(token_file), "x") == jwt
    from boto_sigv4_shim import redact
    assert jwt not in redact.scrub("token was %s" % jwt)
