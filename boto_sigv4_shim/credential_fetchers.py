"""Fetch credentials over the network or from a process.

Pure: no boto import (``sts_call`` takes the CA file from the boto config
through :mod:`settings`).  Each fetcher returns a
:class:`~boto_sigv4_shim.credentials.Credentials` (or None where "nothing
configured here" is a normal answer) and raises :class:`CredentialError`
otherwise.  Nothing here ever puts a secret key, session token or web
identity token into a log record, an exception message or a repr.

- :func:`fetch_imds`: the EC2 instance metadata service, IMDSv2 first
  (``PUT /latest/api/token``), IMDSv1 only when the instance still allows it
  (the PUT answered 403, 404 or 405) and v1 is not switched off;
- :func:`fetch_container`: ECS / Fargate task roles and EKS Pod Identity
  (``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`` / ``_FULL_URI``);
- :func:`assume_role` and :func:`assume_role_with_web_identity`: STS at the
  regional endpoint, signed with the shim's own signer (web identity is
  unsigned, as in botocore), over ``http.client`` / ``httplib`` with a
  verifying ``ssl`` context;
- :func:`run_credential_process`: ``credential_process`` (JSON, Version 1).
"""
import calendar
import json
import logging
import os
import re
import shlex
import socket
import ssl
import subprocess
import sys
import time

try:  # Python 3
    import http.client as http_client
    from urllib.parse import urlsplit
except ImportError:  # Python 2
    import httplib as http_client
    from urlparse import urlsplit

from . import redact, regions, settings, signer

log = logging.getLogger("boto_sigv4_shim")

PY2 = sys.version_info[0] == 2

IMDS_DEFAULT_ENDPOINT = "http://169.254.169.254"
IMDS_IPV6_ENDPOINT = "http://[fd00:ec2::254]"
IMDS_TOKEN_TTL = "21600"
IMDS_CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/"
CONTAINER_HOST = "http://169.254.170.2"
# The hosts the AWS SDKs allow for an http:// AWS_CONTAINER_CREDENTIALS_FULL_URI
# (loopback, the ECS and EKS Pod Identity agent addresses); https may go
# anywhere.
CONTAINER_ALLOWED_HOSTS = ("localhost", "169.254.170.2", "169.254.170.23",
                           "fd00:ec2::23")
CONTAINER_TIMEOUT = 2.0
CONTAINER_ATTEMPTS = 3
STS_TIMEOUT = 10.0
STS_VERSION = "2011-06-15"


class CredentialError(Exception):
    """A configured credential source could not deliver credentials.

    Messages name the source and what to fix; they never carry a secret.
    """


class _Unreachable(CredentialError):
    """The endpoint did not answer at all (nothing listens, timeout)."""


def native(value):
    """``value`` as the native ``str`` (credentials are ASCII)."""
    if value is None:
        return None
    if PY2 and not isinstance(value, str):
        return value.encode("utf-8")
    if not PY2 and isinstance(value, bytes):
        return value.decode("utf-8")
    return value


# -- time stamps ---------------------------------------------------------------

_ISO = re.compile(r"\A(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(\.\d+)?"
                  r"(Z|[+-]\d\d:?\d\d)?\Z", re.I)


def parse_expiration(value, source):
    """Seconds since the epoch of an ISO 8601 time stamp (UTC if no zone)."""
    if isinstance(value, (int, float)):
        return float(value)
    match = _ISO.match((native(value) or "").strip())
    if not match:
        raise CredentialError("boto_sigv4_shim: %s gave an Expiration that is "
                              "not an ISO 8601 time: %r" % (source, value))
    fields = [int(match.group(i)) for i in range(1, 7)]
    stamp = calendar.timegm(tuple(fields) + (0, 0, 0))
    if match.group(7):
        stamp += float(match.group(7))
    zone = match.group(8)
    if zone and zone.upper() != "Z":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        stamp -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return float(stamp)


# -- HTTP ----------------------------------------------------------------------

def split_url(url, what):
    """(scheme, host, port, path) of an http(s) URL; host without brackets."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CredentialError("boto_sigv4_shim: %s %r is not an http:// or "
                              "https:// URL" % (what, url))
    try:
        port = parts.port
    except ValueError:
        raise CredentialError("boto_sigv4_shim: %s %r has an invalid port"
                              % (what, url))
    port = port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port, path


def ca_file():
    """boto's ``ca_certificates_file`` when set (not ``system``), else None
    (the system trust store, which honours ``SSL_CERT_FILE``)."""
    try:
        value = settings.boto_config().get("Boto", "ca_certificates_file",
                                           None)
    except Exception:  # noqa: BLE001 -- a broken config is boto's to report
        value = None
    if not value or str(value).strip().lower() == "system":
        return None
    return os.path.expanduser(str(value).strip())


def ssl_context():
    return ssl.create_default_context(cafile=ca_file())


def http_request(method, url, headers=None, body=None, timeout=1.0,
                 what="endpoint"):
    """(status, {lower-case header: value}, body bytes) of one request.

    Raises :class:`_Unreachable` when no answer came (refused, timed out,
    blocked); the message names ``what`` and the URL, never a header value.
    """
    scheme, host, port, path = split_url(url, what)
    if scheme == "https":
        connection = http_client.HTTPSConnection(host, port, timeout=timeout,
                                                 context=ssl_context())
    else:
        connection = http_client.HTTPConnection(host, port, timeout=timeout)
    try:
        given = set(name.lower() for name in (headers or {}))
        connection.putrequest(method, path, skip_host="host" in given,
                              skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        data = signer.to_bytes(body) if body is not None else None
        if data is not None or method in ("PUT", "POST"):
            connection.putheader("Content-Length", str(len(data or b"")))
        connection.endheaders(data)
        response = connection.getresponse()
        payload = response.read()
        answer = dict((k.lower(), v) for k, v in response.getheaders())
        return response.status, answer, payload
    except ssl.SSLError as error:
        raise CredentialError("boto_sigv4_shim: TLS with %s %s failed: %s"
                              % (what, url, error))
    except (socket.error, socket.timeout, http_client.HTTPException) as error:
        raise _Unreachable("boto_sigv4_shim: %s %s did not answer (%s: %s)"
                           % (what, url, type(error).__name__, error))
    finally:
        connection.close()


def _json(body, what):
    try:
        data = json.loads(body.decode("utf-8") if isinstance(body, bytes)
                          else body)
    except (ValueError, UnicodeDecodeError):
        raise CredentialError("boto_sigv4_shim: %s did not answer with JSON"
                              % what)
    if not isinstance(data, dict):
        raise CredentialError("boto_sigv4_shim: %s did not answer with a JSON "
                              "object" % what)
    return data


def credentials_from_json(data, source, token_key="Token"):
    """Credentials from the IMDS / container / process JSON shapes."""
    from .credentials import Credentials
    missing = [k for k in ("AccessKeyId", "SecretAccessKey") if not data.get(k)]
    if missing:
        raise CredentialError("boto_sigv4_shim: %s answered without %s"
                              % (source, " and ".join(missing)))
    expiration = data.get("Expiration")
    expiry = parse_expiration(expiration, source) if expiration else None
    return Credentials(data["AccessKeyId"], data["SecretAccessKey"],
                       data.get(token_key) or None, expiry, source)


# -- instance metadata ---------------------------------------------------------

def _imds_call(method, url, headers, timeout, attempts):
    """One IMDS request with up to ``attempts`` tries on no answer / 5xx."""
    error = None
    for _ in range(max(1, attempts)):
        try:
            status, _, body = http_request(method, url, headers, None, timeout,
                                           "the instance metadata service")
        except _Unreachable as failure:
            error = failure
            continue
        if status >= 500:
            error = CredentialError("boto_sigv4_shim: the instance metadata "
                                    "service answered %d to %s %s"
                                    % (status, method, url))
            continue
        return status, body
    raise error


def fetch_imds(endpoint, timeout=1.0, attempts=1, v1_allowed=True):
    """Instance-profile credentials, or None when the instance has no role.

    IMDSv2 first: ``PUT /latest/api/token`` with
    ``X-aws-ec2-metadata-token-ttl-seconds``; each GET then carries
    ``X-aws-ec2-metadata-token``.  A PUT answered 403, 404 or 405 means the
    service predates v2 (or a proxy forbids PUT): IMDSv1 is used then,
    unless ``v1_allowed`` is False.  A 401 on a GET is an error.  Raises
    :class:`_Unreachable` when nothing answers.
    """
    base = endpoint.rstrip("/")
    source = "the instance metadata service at %s" % base
    status, body = _imds_call("PUT", base + "/latest/api/token",
                              {"X-aws-ec2-metadata-token-ttl-seconds":
                               IMDS_TOKEN_TTL}, timeout, attempts)
    headers = {}
    if status == 200:
        token = native(body.decode("ascii", "replace").strip())
        redact.remember(token)
        headers["X-aws-ec2-metadata-token"] = token
    elif status in (403, 404, 405):
        if not v1_allowed:
            raise CredentialError(
                "boto_sigv4_shim: %s refused an IMDSv2 token (HTTP %d) and "
                "IMDSv1 is switched off (AWS_EC2_METADATA_V1_DISABLED)"
                % (source, status))
        log.debug("IMDSv2 token refused (HTTP %d): falling back to IMDSv1",
                  status)
    else:
        raise CredentialError("boto_sigv4_shim: %s answered HTTP %d to the "
                              "IMDSv2 token request" % (source, status))
    status, body = _imds_call("GET", base + IMDS_CREDENTIALS_PATH, headers,
                              timeout, attempts)
    if status == 404:
        log.debug("%s: no IAM role attached to this instance", source)
        return None
    _imds_check(status, source)
    role = body.decode("utf-8", "replace").strip().splitlines()
    if not role or not role[0].strip():
        return None
    role = role[0].strip()
    status, body = _imds_call("GET", base + IMDS_CREDENTIALS_PATH + role,
                              headers, timeout, attempts)
    _imds_check(status, source)
    data = _json(body, source)
    if data.get("Code", "Success") != "Success":
        raise CredentialError("boto_sigv4_shim: %s answered Code %r for role "
                              "%r" % (source, data.get("Code"), role))
    return credentials_from_json(data, "%s (role %s)" % (source, role))


def _imds_check(status, source):
    if status == 401:
        raise CredentialError("boto_sigv4_shim: %s answered 401 Unauthorized "
                              "(IMDSv2 token missing or expired)" % source)
    if status != 200:
        raise CredentialError("boto_sigv4_shim: %s answered HTTP %d"
                              % (source, status))


# -- container credentials -----------------------------------------------------

def _is_loopback_host(host):
    name = host.strip("[]").lower()
    if name in ("localhost", "::1") or name.endswith(".localhost"):
        return True
    parts = name.split(".")
    return (len(parts) == 4 and parts[0] == "127"
            and all(p.isdigit() for p in parts))


def container_url(environ):
    """The container credentials URL from the environment, or None.

    ``AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`` is appended to
    ``http://169.254.170.2``; ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` must be
    https, or http to a loopback address or an ECS / EKS agent address.
    """
    relative = environ.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")
    if relative:
        if not relative.startswith("/"):
            relative = "/" + relative
        return CONTAINER_HOST + relative
    full = environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
    if not full:
        return None
    scheme, host, _, _ = split_url(full, "AWS_CONTAINER_CREDENTIALS_FULL_URI")
    if scheme == "https":
        return full
    if host.lower() in CONTAINER_ALLOWED_HOSTS or _is_loopback_host(host):
        return full
    if _resolves_to_loopback(host):
        return full
    raise CredentialError(
        "boto_sigv4_shim: AWS_CONTAINER_CREDENTIALS_FULL_URI %r is not "
        "allowed: http:// may only go to a loopback address or %s; use "
        "https:// for any other host" % (full, ", ".join(
            CONTAINER_ALLOWED_HOSTS[1:])))


def _resolves_to_loopback(host):
    try:
        infos = socket.getaddrinfo(host, None)
    except (socket.error, socket.gaierror):
        return False
    return bool(infos) and all(_is_loopback_host(info[4][0]) for info in infos)


def container_authorization(environ):
    """The Authorization header value, or None.  The token file wins and is
    read at each fetch (EKS Pod Identity rotates it)."""
    path = environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")
    if path:
        try:
            with open(path, "rb") as handle:
                token = handle.read().decode("utf-8").strip()
        except (IOError, OSError, UnicodeDecodeError) as error:
            raise CredentialError(
                "boto_sigv4_shim: cannot read AWS_CONTAINER_AUTHORIZATION_"
                "TOKEN_FILE %r: %s" % (path, getattr(error, "strerror", None)
                                       or type(error).__name__))
    else:
        token = environ.get("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    if not token:
        return None
    if "\r" in token or "\n" in token:
        raise CredentialError("boto_sigv4_shim: the container authorization "
                              "token contains a line break")
    redact.remember(token)
    return native(token)


def fetch_container(url, environ, timeout=CONTAINER_TIMEOUT,
                    attempts=CONTAINER_ATTEMPTS):
    source = "the container credentials endpoint %s" % url
    headers = {"Accept": "application/json"}
    authorization = container_authorization(environ)
    if authorization:
        headers["Authorization"] = authorization
    error = None
    for _ in range(max(1, attempts)):
        try:
            status, _, body = http_request("GET", url, headers, None, timeout,
                                           "the container credentials "
                                           "endpoint")
        except _Unreachable as failure:
            error = CredentialError(str(failure))
            continue
        if status >= 500:
            error = CredentialError("boto_sigv4_shim: %s answered HTTP %d"
                                    % (source, status))
            continue
        if status != 200:
            raise CredentialError("boto_sigv4_shim: %s answered HTTP %d%s"
                                  % (source, status, " (check "
                                     "AWS_CONTAINER_AUTHORIZATION_TOKEN)"
                                     if status in (401, 403) else ""))
        return credentials_from_json(_json(body, source), source)
    raise error


# -- STS -----------------------------------------------------------------------

def _xml_field(body, name):
    match = re.search(r"<%s>\s*([^<]*?)\s*</%s>" % (name, name), body)
    return match.group(1) if match else None


def _xml_unescape(text):
    return (text.replace("&lt;", "<").replace("&gt;", ">")
            .replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&")) if text else text


def sts_call(action, params, region, credentials=None):
    """POST ``action`` to ``sts.<region>.<suffix>``; (access, secret, token,
    expiry, assumed role ARN).  Signed with ``credentials`` when given,
    unsigned otherwise (AssumeRoleWithWebIdentity)."""
    from .credentials import Credentials
    host = regions.service_host("sts", region)
    pairs = [("Action", action), ("Version", STS_VERSION)]
    pairs.extend((k, v) for k, v in params if v is not None)
    body = signer.canonical_query(pairs)
    headers = {"Host": host,
               "Content-Type": "application/x-www-form-urlencoded; "
                               "charset=utf-8",
               "Accept": "text/xml"}
    if credentials is not None:
        amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        headers["X-Amz-Date"] = amz_date
        if credentials.token:
            headers["X-Amz-Security-Token"] = credentials.token
        block, signed = signer.canonical_headers(headers.items())
        creq = signer.canonical_request("POST", "/", "", block, signed,
                                        signer.payload_hash(body))
        scope = signer.credential_scope(amz_date[:8], region, "sts")
        key = signer.derive_signing_key(credentials.secret_key, amz_date[:8],
                                        region, "sts")
        headers["Authorization"] = signer.authorization_header(
            credentials.access_key, scope, signed,
            signer.signature(key, signer.string_to_sign(amz_date, scope,
                                                        creq)))
    url = "https://%s/" % host
    what = "STS %s at %s" % (action, host)
    try:
        status, _, answer = http_request("POST", url, headers, body,
                                         STS_TIMEOUT, what)
    except _Unreachable as error:
        raise CredentialError(str(error))
    text = answer.decode("utf-8", "replace")
    if status != 200:
        code = _xml_field(text, "Code") or "HTTP %d" % status
        message = _xml_unescape(_xml_field(text, "Message") or "")
        raise CredentialError("boto_sigv4_shim: %s failed: %s: %s"
                              % (what, code, redact.scrub(message)[:300]))
    fields = [_xml_field(text, name) for name in (
        "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")]
    if not all(fields):
        raise CredentialError("boto_sigv4_shim: %s answered without "
                              "credentials" % what)
    arn = _xml_unescape(_xml_field(text, "Arn"))
    source = "%s (%s)" % (what, arn or params[0][1])
    return Credentials(_xml_unescape(fields[0]), _xml_unescape(fields[1]),
                       _xml_unescape(fields[2]),
                       parse_expiration(fields[3], what), source)


def assume_role(source_credentials, role_arn, session_name, region,
                external_id=None, duration_seconds=None):
    params = [("RoleArn", role_arn), ("RoleSessionName", session_name),
              ("ExternalId", external_id),
              ("DurationSeconds", str(duration_seconds)
               if duration_seconds else None)]
    return sts_call("AssumeRole", params, region, source_credentials)


def read_token_file(path, what):
    try:
        with open(path, "rb") as handle:
            token = handle.read().decode("utf-8").strip()
    except (IOError, OSError, UnicodeDecodeError) as error:
        raise CredentialError("boto_sigv4_shim: cannot read the %s %r: %s"
                              % (what, path, getattr(error, "strerror", None)
                                 or type(error).__name__))
    if not token:
        raise CredentialError("boto_sigv4_shim: the %s %r is empty"
                              % (what, path))
    redact.remember(token)
    return token


def assume_role_with_web_identity(token_file, role_arn, session_name, region,
                                  duration_seconds=None):
    """AssumeRoleWithWebIdentity with the token read from ``token_file`` now
    (EKS rotates the file); unsigned, as the SDKs send it."""
    token = read_token_file(token_file, "web identity token file")
    params = [("RoleArn", role_arn), ("RoleSessionName", session_name),
              ("WebIdentityToken", token),
              ("DurationSeconds", str(duration_seconds)
               if duration_seconds else None)]
    return sts_call("AssumeRoleWithWebIdentity", params, region, None)


# -- credential_process --------------------------------------------------------

def split_command(command):
    if os.name == "nt":  # pragma: no cover -- POSIX test rig
        return command
    return shlex.split(command)


def run_credential_process(command, profile):
    """Run ``credential_process``; its JSON (Version 1) as Credentials."""
    source = "credential_process of profile %r" % profile
    try:
        process = subprocess.Popen(split_command(command),
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
    except (OSError, ValueError) as error:
        raise CredentialError("boto_sigv4_shim: %s could not be started: %s"
                              % (source, getattr(error, "strerror", None)
                                 or error))
    out, err = process.communicate()
    if process.returncode != 0:
        detail = redact.scrub(err.decode("utf-8", "replace").strip())[-300:]
        raise CredentialError("boto_sigv4_shim: %s exited with status %d%s"
                              % (source, process.returncode,
                                 ": " + detail if detail else ""))
    data = _json(out, source)
    if data.get("Version") != 1:
        raise CredentialError("boto_sigv4_shim: %s gave Version %r; only "
                              "Version 1 is supported"
                              % (source, data.get("Version")))
    return credentials_from_json(data, source, token_key="SessionToken")
