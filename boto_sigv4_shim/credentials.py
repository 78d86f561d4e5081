"""The credential chain, in botocore's order, for every boto 2 connection.

boto 2.49 reads ``AWS_SECURITY_TOKEN`` but not ``AWS_SESSION_TOKEN``, asks
the instance metadata service with IMDSv1 only and knows nothing of
container, web-identity, assume-role or ``credential_process`` credentials.
While the shim is installed, ``boto.provider.Provider.get_credentials``
(for the ``aws`` provider) resolves credentials here instead, first match
wins:

1. explicit arguments (``aws_access_key_id=`` / ``aws_secret_access_key=`` /
   ``security_token=`` of the connection);
2. environment: ``AWS_ACCESS_KEY_ID`` + ``AWS_SECRET_ACCESS_KEY``, token from
   ``AWS_SESSION_TOKEN`` or ``AWS_SECURITY_TOKEN``;
3. assume-role profile: ``role_arn`` with ``source_profile`` or
   ``credential_source`` (``Environment``, ``Ec2InstanceMetadata``,
   ``EcsContainer``); STS AssumeRole at the regional endpoint;
4. web identity: ``AWS_WEB_IDENTITY_TOKEN_FILE`` + ``AWS_ROLE_ARN`` (or the
   profile's ``web_identity_token_file`` + ``role_arn``);
5. shared credentials file (``AWS_SHARED_CREDENTIALS_FILE``, else
   ``~/.aws/credentials``), ``aws_session_token`` or ``aws_security_token``;
6. ``credential_process`` of the profile;
7. keys in the profile of ``~/.aws/config`` (``AWS_CONFIG_FILE``);
8. boto config: ``[Credentials]`` (``[profile <name>]`` when a profile is
   named), as boto reads it, ``keyring`` included;
9. container credentials (``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`` /
   ``AWS_CONTAINER_CREDENTIALS_FULL_URI``), only when those are set;
10. the instance metadata service, IMDSv2 first, last and with a short
    timeout (1 s, 1 attempt unless configured).

Profile: ``profile_name=`` > ``AWS_PROFILE`` > ``AWS_DEFAULT_PROFILE`` >
``[Boto] profile`` > ``default``.  A profile named explicitly that exists
nowhere raises boto's ``ProfileNotFoundError``, as boto does.  As in
botocore, a profile named in code (``profile_name=``) skips step 2.

Expiring credentials are held by one :class:`RefreshableCredentials` per
source, shared by every connection using that source, refreshed before they
expire (botocore's windows: 15 minutes advisory, 10 minutes mandatory) under
a lock; :func:`snapshot` hands out access key, secret key and token as one
consistent set that is never expired.
"""
import hashlib
import logging
import os
import sys
import threading
import time

try:  # Python 3
    import configparser
except ImportError:  # Python 2
    import ConfigParser as configparser

from . import credential_fetchers as fetchers
from . import redact, settings
from .credential_fetchers import CredentialError, native

log = logging.getLogger("boto_sigv4_shim")

__all__ = ["Credentials", "RefreshableCredentials", "CredentialError",
           "ProfileNotFound", "resolve", "snapshot", "clear_cache"]

# botocore's refresh windows: from 15 minutes before expiry one thread tries
# to refresh while the others go on with the current set; from 10 minutes
# before, every caller waits for a refresh.
ADVISORY_REFRESH_SECONDS = 15 * 60
MANDATORY_REFRESH_SECONDS = 10 * 60
# At most one refresh attempt this often while a set is inside a window
# (shorter when the set would expire first): a source that keeps handing
# out the same soon-expiring set (IMDS before it rotates) is not asked on
# every request.
REFRESH_RETRY_SECONDS = 5.0
# How long an unreachable instance metadata service is not asked again.
IMDS_NEGATIVE_CACHE_SECONDS = 60.0

_TRUE = ("1", "true", "yes", "on")


class ProfileNotFound(CredentialError):
    """A profile named by ``profile_name=``, ``AWS_PROFILE`` ... exists in no
    file.  Turned into boto's ``ProfileNotFoundError`` for boto callers."""


class Credentials(object):
    """One immutable set: access key, secret key, token, expiry, source.

    ``expiry`` is seconds since the epoch, or None.  The repr names the key
    id and the source, never the secret or the token.
    """

    __slots__ = ("access_key", "secret_key", "token", "expiry", "source")
    refreshable = False

    def __init__(self, access_key, secret_key, token=None, expiry=None,
                 source="explicit arguments"):
        self.access_key = native(access_key)
        self.secret_key = native(secret_key)
        self.token = native(token) or None
        self.expiry = expiry
        self.source = source
        redact.remember(self.secret_key, self.token)

    def remaining(self, now=None):
        if self.expiry is None:
            return None
        return self.expiry - (time.time() if now is None else now)

    def frozen(self):
        return self

    def __repr__(self):
        expires = ("" if self.expiry is None else ", expires=%s" % time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.expiry)))
        return "Credentials(access_key=%r, source=%r%s)" % (
            self.access_key, self.source, expires)

    __str__ = __repr__


class RefreshableCredentials(object):
    """Credentials that expire, refreshed through ``fetch()`` in time.

    :meth:`frozen` returns a :class:`Credentials` that is not expired:

    - more than ``ADVISORY_REFRESH_SECONDS`` left: the current set;
    - inside the advisory window: one thread refreshes (a failure is logged
      and the current set used), the others do not wait;
    - inside ``MANDATORY_REFRESH_SECONDS``: every caller waits for a
      refresh; a thread that waited while another refreshed takes that
      result; a failure raises :class:`CredentialError`;
    - a set that is expired is never returned.
    """

    refreshable = True

    def __init__(self, fetch, source, initial=None):
        self._fetch = fetch
        self.source = source
        self._lock = threading.Lock()
        self._generation = 0
        self._attempted_at = 0.0
        self._current = initial if initial is not None else self._fetched()

    def _fetched(self):
        creds = self._fetch()
        if creds is None:
            raise CredentialError("boto_sigv4_shim: %s no longer gives "
                                  "credentials" % self.source)
        return creds

    @property
    def expiry(self):
        return self._current.expiry

    def _refresh(self, mandatory):
        self._attempted_at = time.time()
        try:
            creds = self._fetched()
        except Exception as error:  # noqa: BLE001 -- any fetch failure
            if mandatory:
                raise
            log.warning("boto_sigv4_shim: refreshing credentials from %s "
                        "failed in the advisory window (still valid for %ds): "
                        "%s", self.source, self._current.remaining() or 0,
                        error)
            return
        self._current = creds
        self._generation += 1
        log.debug("refreshed credentials from %s: key id %s, %ds left",
                  self.source, creds.access_key,
                  creds.remaining() if creds.expiry is not None else -1)

    def _due(self, remaining, window):
        """Whether another attempt is due: at most one per
        ``REFRESH_RETRY_SECONDS`` (less when time runs short), so a source
        that keeps giving short-lived sets is not asked on every call."""
        pause = min(REFRESH_RETRY_SECONDS, max(0.0, remaining - window) / 2.0)
        return time.time() >= self._attempted_at + pause

    def frozen(self):
        current = self._current
        if current.expiry is None:
            return current
        remaining = current.remaining()
        if remaining > ADVISORY_REFRESH_SECONDS:
            return current
        if remaining > MANDATORY_REFRESH_SECONDS:
            if self._due(remaining, MANDATORY_REFRESH_SECONDS) and \
                    self._lock.acquire(False):
                try:
                    if self._current is current:
                        self._refresh(mandatory=False)
                finally:
                    self._lock.release()
            return self._checked(self._current)
        generation = self._generation
        with self._lock:
            current = self._current
            remaining = current.remaining()
            if remaining <= 0 or (remaining <= MANDATORY_REFRESH_SECONDS
                                  and self._generation == generation
                                  and self._due(remaining, 0.0)):
                self._refresh(mandatory=True)
        return self._checked(self._current)

    def _checked(self, creds):
        if creds.expiry is not None and creds.remaining() <= 0:
            raise CredentialError(
                "boto_sigv4_shim: the credentials from %s expired and the "
                "refresh gave expired ones again" % self.source)
        return creds

    def __repr__(self):
        return "RefreshableCredentials(%r, current=%r)" % (self.source,
                                                           self._current)


# -- shared holders --------------------------------------------------------------

_holders_lock = threading.Lock()
_holders = {}
_imds_unreachable = {}


def clear_cache():
    """Forget every shared refreshable source (tests; after a config change)."""
    with _holders_lock:
        _holders.clear()
        _creating.clear()
        _imds_unreachable.clear()


_creating = {}


def _shared(key, fetch, source, skip=None):
    """The process-wide holder for ``key``, created (one fetch) if new.

    One thread fetches while the others starting with the same source wait
    for its result; ``skip()`` (checked once the wait is over) may answer
    "do not try" (an unreachable IMDS asked a moment ago)."""
    with _holders_lock:
        holder = _holders.get(key)
        if holder is not None:
            return holder
        creating = _creating.setdefault(key, threading.Lock())
    with creating:
        with _holders_lock:
            holder = _holders.get(key)
        if holder is not None:
            return holder
        if skip is not None and skip():
            return None
        initial = fetch()
        if initial is None:
            return None
        # A set without expiry (credential_process may give one) is kept as
        # is, like botocore keeps it for its session.
        holder = initial if initial.expiry is None else \
            RefreshableCredentials(fetch, source, initial)
        with _holders_lock:
            return _holders.setdefault(key, holder)


def _digest(*values):
    text = "\0".join("" if v is None else str(v) for v in values)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# -- files -------------------------------------------------------------------------

_files_lock = threading.Lock()
_files = {}


def _read_ini(path):
    """{section: {option: value}} of an INI file (mtime-cached); {} if none."""
    try:
        stamp = os.stat(path).st_mtime
    except OSError:
        return {}
    with _files_lock:
        cached = _files.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
    if sys.version_info[0] >= 3:
        parser = configparser.RawConfigParser(strict=False)
    else:
        parser = configparser.RawConfigParser()
    try:
        parser.read([path])
    except configparser.Error as error:
        raise CredentialError("boto_sigv4_shim: cannot parse %s: %s"
                              % (path, type(error).__name__))
    sections = dict((name, dict((k.lower(), v.strip())
                                for k, v in parser.items(name)))
                    for name in parser.sections())
    with _files_lock:
        _files[path] = (stamp, sections)
    return sections


def credentials_file_path(environ):
    return os.path.expanduser(environ.get("AWS_SHARED_CREDENTIALS_FILE")
                              or "~/.aws/credentials")


class Profiles(object):
    """The profiles of ``~/.aws/config`` and ``~/.aws/credentials``."""

    def __init__(self, environ):
        self.config_path = settings.aws_config_path(environ)
        self.credentials_path = credentials_file_path(environ)
        self.config = {}
        for section, values in _read_ini(self.config_path).items():
            if section == "default":
                self.config.setdefault("default", {}).update(values)
            elif section.startswith("profile "):
                self.config.setdefault(section[8:].strip(), {}).update(values)
        self.credentials = _read_ini(self.credentials_path)

    def exists(self, name):
        return name in self.config or name in self.credentials

    def merged(self, name):
        """botocore's view: the credentials file wins over the config file."""
        values = dict(self.config.get(name, {}))
        values.update(self.credentials.get(name, {}))
        return values


def active_profile(profile_name=None, environ=None, config=None):
    """(profile, explicitly named?) in the order described above."""
    environ = os.environ if environ is None else environ
    if profile_name:
        return profile_name, True
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        if environ.get(name):
            return environ[name], True
    config = settings.boto_config() if config is None else config
    value = config.get("Boto", "profile", None)
    if value and str(value).strip():
        return str(value).strip(), True
    return "default", False


def _key_pair(values, source, token_names=("aws_session_token",
                                           "aws_security_token")):
    access_key = values.get("aws_access_key_id")
    if not access_key:
        return None
    secret_key = values.get("aws_secret_access_key")
    if not secret_key:
        raise CredentialError("boto_sigv4_shim: %s has aws_access_key_id but "
                              "no aws_secret_access_key" % source)
    token = None
    for name in token_names:
        if values.get(name):
            token = values[name]
            break
    return Credentials(access_key, secret_key, token, None, source)


# -- the sources ---------------------------------------------------------------------

class _Context(object):
    """What the sources share during one resolution."""

    def __init__(self, profile, explicit, environ, config):
        self.profile = profile
        self.explicit = explicit
        self.environ = environ
        self.config = config
        self.profiles = Profiles(environ)

    def region(self):
        return settings.resolve_region((), self.environ)[0]


def from_environment(ctx):
    env = ctx.environ
    access_key = env.get("AWS_ACCESS_KEY_ID")
    if not access_key:
        return None
    secret_key = env.get("AWS_SECRET_ACCESS_KEY")
    if not secret_key:
        raise CredentialError("boto_sigv4_shim: AWS_ACCESS_KEY_ID is set but "
                              "AWS_SECRET_ACCESS_KEY is not")
    token = env.get("AWS_SESSION_TOKEN") or env.get("AWS_SECURITY_TOKEN")
    return Credentials(access_key, secret_key, token, None, "environment")


def _session_name(values, environ=None):
    name = values.get("role_session_name") or (environ or {}).get(
        "AWS_ROLE_SESSION_NAME")
    return name or "boto_sigv4_shim-%d" % int(time.time())


def _duration(values, source):
    value = values.get("duration_seconds")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise CredentialError("boto_sigv4_shim: duration_seconds %r of %s is "
                              "not a number" % (value, source))


def from_assume_role(ctx, profile=None, visited=()):
    profile = profile or ctx.profile
    values = ctx.profiles.merged(profile)
    role_arn = values.get("role_arn")
    if not role_arn or not (values.get("source_profile")
                            or values.get("credential_source")):
        return None
    where = "profile %r" % profile
    if values.get("source_profile") and values.get("credential_source"):
        raise CredentialError("boto_sigv4_shim: %s has both source_profile and "
                              "credential_source; use one" % where)
    if values.get("mfa_serial"):
        raise CredentialError("boto_sigv4_shim: %s needs an MFA code "
                              "(mfa_serial); interactive MFA prompts are not "
                              "supported" % where)
    if profile in visited:
        raise CredentialError("boto_sigv4_shim: source_profile loop: %s"
                              % " -> ".join(visited + (profile,)))
    source = _role_source(ctx, profile, values, visited + (profile,))
    if source is None:
        raise CredentialError("boto_sigv4_shim: the source of %s (%s) has no "
                              "credentials" % (where, values.get(
                                  "source_profile") or values.get(
                                      "credential_source")))
    region = ctx.region()
    session_name = _session_name(values)
    external_id = values.get("external_id")
    duration = _duration(values, where)
    what = "AssumeRole %s for %s" % (role_arn, where)

    def fetch():
        return fetchers.assume_role(source.frozen(), role_arn, session_name,
                                    region, external_id, duration)

    key = ("assume-role", profile, role_arn, external_id, duration, region,
           values.get("role_session_name"), _source_identity(source))
    return _shared(key, fetch, what)


def _source_identity(source):
    if getattr(source, "refreshable", False):
        return ("holder", id(source))
    return ("static", source.access_key, _digest(source.secret_key,
                                                 source.token))


def _role_source(ctx, profile, values, visited):
    """Credentials of a role's ``source_profile`` / ``credential_source``."""
    named = values.get("credential_source")
    if named:
        fetch = {"environment": from_environment,
                 "ec2instancemetadata": lambda c: from_imds(c, required=True),
                 "ecscontainer": lambda c: from_container(c, required=True)
                 }.get(named.lower())
        if fetch is None:
            raise CredentialError(
                "boto_sigv4_shim: credential_source %r of profile %r is not "
                "one of Environment, Ec2InstanceMetadata, EcsContainer"
                % (named, profile))
        return fetch(ctx)
    source_name = values["source_profile"]
    if not ctx.profiles.exists(source_name):
        raise ProfileNotFound("boto_sigv4_shim: source_profile %r of profile "
                              "%r does not exist" % (source_name, profile))
    source_values = ctx.profiles.merged(source_name)
    if source_name != profile and source_values.get("role_arn"):
        return from_assume_role(ctx, source_name, visited)
    if source_values.get("web_identity_token_file") and \
            source_values.get("role_arn"):
        return _web_identity(ctx, source_values["web_identity_token_file"],
                             source_values["role_arn"],
                             _session_name(source_values),
                             _duration(source_values, source_name))
    if source_values.get("credential_process"):
        return from_process(ctx, source_name)
    return _key_pair(source_values, "profile %r" % source_name)


def _web_identity(ctx, token_file, role_arn, session_name, duration):
    region = ctx.region()
    token_file = os.path.expanduser(token_file)

    def fetch():
        return fetchers.assume_role_with_web_identity(
            token_file, role_arn, session_name, region, duration)

    key = ("web-identity", token_file, role_arn, session_name, duration, region)
    return _shared(key, fetch, "AssumeRoleWithWebIdentity %s" % role_arn)


def from_web_identity(ctx):
    env = ctx.environ
    token_file = env.get("AWS_WEB_IDENTITY_TOKEN_FILE")
    role_arn = env.get("AWS_ROLE_ARN")
    values = ctx.profiles.merged(ctx.profile)
    if not (token_file and role_arn):
        token_file = values.get("web_identity_token_file")
        role_arn = values.get("role_arn")
        if not (token_file and role_arn):
            return None
        session_name = _session_name(values)
    else:
        session_name = _session_name({}, env)
    return _web_identity(ctx, token_file, role_arn, session_name,
                         _duration(values, "profile %r" % ctx.profile))


def from_shared_file(ctx):
    values = ctx.profiles.credentials.get(ctx.profile)
    if not values:
        return None
    return _key_pair(values, "profile %r in %s" % (
        ctx.profile, ctx.profiles.credentials_path))


def from_process(ctx, profile=None):
    profile = profile or ctx.profile
    command = ctx.profiles.merged(profile).get("credential_process")
    if not command:
        return None

    def fetch():
        return fetchers.run_credential_process(command, profile)

    return _shared(("process", profile, command), fetch,
                   "credential_process of profile %r" % profile)


def from_config_file(ctx):
    values = ctx.profiles.config.get(ctx.profile)
    if not values:
        return None
    return _key_pair(values, "profile %r in %s" % (ctx.profile,
                                                    ctx.profiles.config_path))


def from_boto_config(ctx):
    config = ctx.config
    section = "profile %s" % ctx.profile if ctx.explicit else "Credentials"
    access_key = config.get(section, "aws_access_key_id", None)
    if not access_key:
        return None
    secret_key = config.get(section, "aws_secret_access_key", None)
    if not secret_key and section == "Credentials" and \
            config.get("Credentials", "keyring", None):
        import keyring  # boto's own behaviour: an ImportError is the answer
        secret_key = keyring.get_password(
            config.get("Credentials", "keyring", None), access_key)
    if not secret_key:
        raise CredentialError("boto_sigv4_shim: [%s] in the boto config has "
                              "aws_access_key_id but no aws_secret_access_key"
                              % section)
    token = config.get(section, "aws_security_token", None)
    return Credentials(access_key, secret_key, token, None,
                       "[%s] in the boto config" % section)


def from_container(ctx, required=False):
    url = fetchers.container_url(ctx.environ)
    if url is None:
        if required:
            raise CredentialError(
                "boto_sigv4_shim: credential_source EcsContainer needs "
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI")
        return None
    env = dict((k, ctx.environ.get(k)) for k in (
        "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"))

    def fetch():
        return fetchers.fetch_container(url, env)

    key = ("container", url, env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"],
           _digest(env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]))
    return _shared(key, fetch, "the container credentials endpoint %s" % url)


def _setting(ctx, env_name, boto_option, aws_option):
    """An IMDS setting: environment > boto config [Boto] > ~/.aws/config."""
    value = ctx.environ.get(env_name)
    if value not in (None, ""):
        return value, env_name
    if boto_option:
        value = ctx.config.get("Boto", boto_option, None)
        if value not in (None, ""):
            return value, "[Boto] %s in the boto config" % boto_option
    if aws_option:
        value = ctx.profiles.config.get(ctx.profile, {}).get(aws_option)
        if value not in (None, ""):
            return value, "%s in %s" % (aws_option, ctx.profiles.config_path)
    return None, None


def imds_settings(ctx):
    """(endpoint or None when disabled, timeout, attempts, v1 allowed)."""
    disabled, _ = _setting(ctx, "AWS_EC2_METADATA_DISABLED", None, None)
    if disabled and str(disabled).strip().lower() in _TRUE:
        return None, 0, 0, False
    timeout, where = _setting(ctx, "AWS_METADATA_SERVICE_TIMEOUT",
                              "metadata_service_timeout",
                              "metadata_service_timeout")
    attempts, where2 = _setting(ctx, "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
                                "metadata_service_num_attempts",
                                "metadata_service_num_attempts")
    try:
        timeout = float(timeout) if timeout is not None else 1.0
        attempts = int(attempts) if attempts is not None else 1
    except ValueError:
        raise CredentialError("boto_sigv4_shim: %s is not a number"
                              % (where2 if where is None else where))
    if attempts <= 0:
        return None, timeout, 0, False
    endpoint, _ = _setting(ctx, "AWS_EC2_METADATA_SERVICE_ENDPOINT", None,
                           "ec2_metadata_service_endpoint")
    if not endpoint:
        mode, _ = _setting(ctx, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", None,
                           "ec2_metadata_service_endpoint_mode")
        endpoint = (fetchers.IMDS_IPV6_ENDPOINT
                    if (mode or "").strip().lower() == "ipv6"
                    else fetchers.IMDS_DEFAULT_ENDPOINT)
    fetchers.split_url(endpoint, "AWS_EC2_METADATA_SERVICE_ENDPOINT")
    v1_off, _ = _setting(ctx, "AWS_EC2_METADATA_V1_DISABLED", None,
                         "ec2_metadata_v1_disabled")
    v1_allowed = not (v1_off and str(v1_off).strip().lower() in _TRUE)
    return endpoint, timeout, attempts, v1_allowed


def from_imds(ctx, required=False):
    endpoint, timeout, attempts, v1_allowed = imds_settings(ctx)
    if endpoint is None:
        if required:
            raise CredentialError("boto_sigv4_shim: credential_source "
                                  "Ec2InstanceMetadata, but the instance "
                                  "metadata service is switched off")
        return None
    key = ("imds", endpoint, v1_allowed)

    def unreachable_lately():
        with _holders_lock:
            failed_at = _imds_unreachable.get(key)
        return (not required and failed_at is not None
                and time.time() - failed_at < IMDS_NEGATIVE_CACHE_SECONDS)

    def fetch():
        return fetchers.fetch_imds(endpoint, timeout, attempts, v1_allowed)

    try:
        holder = _shared(key, fetch, "the instance metadata service at %s"
                         % endpoint, unreachable_lately)
    except fetchers._Unreachable as error:
        with _holders_lock:
            _imds_unreachable[key] = time.time()
        if required:
            raise CredentialError(str(error))
        log.debug("no credentials from the instance metadata service: %s",
                  error)
        return None
    if holder is None and required:
        raise CredentialError("boto_sigv4_shim: the instance metadata service "
                              "at %s has no IAM role" % endpoint)
    return holder


CHAIN = (
    ("environment", from_environment),
    ("assume-role", from_assume_role),
    ("web-identity", from_web_identity),
    ("shared-credentials-file", from_shared_file),
    ("credential-process", from_process),
    ("config-file", from_config_file),
    ("boto-config", from_boto_config),
    ("container", from_container),
    ("instance-metadata", from_imds),
)


def resolve(access_key=None, secret_key=None, security_token=None,
            profile_name=None, environ=None, config=None):
    """The credentials the chain finds: a :class:`Credentials`, a
    :class:`RefreshableCredentials` or None.

    Explicit ``access_key`` + ``secret_key`` win (with ``security_token``
    only when given: a token found elsewhere is never paired with them).
    A partial explicit set (only a token, only one key) is completed from
    the chain's current set, as boto 2 did, and is then fixed.
    """
    environ = os.environ if environ is None else environ
    config = settings.boto_config() if config is None else config
    if access_key is not None and secret_key is not None:
        return Credentials(access_key, secret_key, security_token, None,
                           "explicit arguments")
    found = _resolve_chain(profile_name, environ, config)
    if access_key is None and secret_key is None and security_token is None:
        return found
    base = found.frozen() if found is not None else None
    token = security_token
    if token is None and access_key is None and secret_key is None:
        token = base.token if base else None
    return Credentials(access_key if access_key is not None else
                       (base.access_key if base else None),
                       secret_key if secret_key is not None else
                       (base.secret_key if base else None),
                       token, None, "explicit arguments completed from %s"
                       % (base.source if base else "nothing"))


def _resolve_chain(profile_name, environ, config):
    profile, explicit = active_profile(profile_name, environ, config)
    ctx = _Context(profile, explicit, environ, config)
    if explicit and not (ctx.profiles.exists(profile) or config.get(
            "profile %s" % profile, "aws_access_key_id", None)):
        raise ProfileNotFound('Profile "%s" not found!' % profile)
    for name, source in CHAIN:
        if name == "environment" and profile_name:
            # botocore: a profile named in code takes the environment
            # source out of the chain.
            continue
        found = source(ctx)
        if found is not None:
            log.debug("credentials from %s (%s)", name,
                      getattr(found, "source", name))
            return found
    log.debug("no credentials found in the chain")
    return None


# -- boto's Provider --------------------------------------------------------------

_STATE = "_shim_credentials"


def _holder_of(provider):
    return getattr(provider, "__dict__", {}).get(_STATE)


def _store(provider, creds):
    """Copy one set into boto's attributes (the properties read these)."""
    attrs = provider.__dict__
    if attrs.get("_shim_stored") is creds and creds is not None:
        return
    if creds is None:
        attrs["_access_key"] = attrs["_secret_key"] = None
        attrs["_security_token"] = None
    else:
        attrs["_access_key"] = creds.access_key
        attrs["_secret_key"] = creds.secret_key
        attrs["_security_token"] = creds.token
    attrs["_shim_stored"] = creds


def get_credentials_wrapper(wrapped, instance, args, kwargs):
    """Wrapper of ``Provider.get_credentials``: the chain, for ``aws``."""
    if getattr(instance, "name", None) != "aws":
        return wrapped(*args, **kwargs)
    from ._bind import bind
    call = bind(wrapped, args, kwargs)
    try:
        found = resolve(call.get("access_key"), call.get("secret_key"),
                        call.get("security_token"), call.get("profile_name"))
    except ProfileNotFound as error:
        import boto.provider
        raise boto.provider.ProfileNotFoundError(str(error))
    instance.__dict__[_STATE] = found
    _store(instance, found.frozen() if found is not None else None)


def need_refresh_wrapper(wrapped, instance, args, kwargs):
    """Wrapper of ``Provider._credentials_need_refresh`` (called by the
    ``access_key`` / ``secret_key`` / ``security_token`` properties): brings
    the attributes up to date from the shared holder, never asks boto's
    IMDSv1 code."""
    holder = _holder_of(instance)
    if holder is None or not holder.refreshable:
        return wrapped(*args, **kwargs)
    _store(instance, holder.frozen())
    return False


def snapshot(provider):
    """(access key, secret key, token) of ``provider`` as ONE consistent,
    unexpired set; for signers.  Falls back to boto's three properties for
    providers the chain does not manage."""
    holder = _holder_of(provider)
    if holder is not None and holder.refreshable:
        from . import _patching
        if _patching.is_installed():
            creds = holder.frozen()
            _store(provider, creds)
            return creds.access_key, creds.secret_key, creds.token
    return provider.access_key, provider.secret_key, provider.security_token
