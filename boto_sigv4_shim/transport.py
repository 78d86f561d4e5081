"""The transport: what happens between signing a request and its answer.

Wrapped (by ``_patching``): ``boto.connection.AWSAuthConnection._mexe``,
boto's retry loop, for every connection the shim signs (its auth handler is
one of the shim's).  Connections the shim does not sign pass straight through.

boto's loop already re-signs every attempt (``request.authorize`` runs at the
top of each one, and the shim's handlers take a fresh date from
:mod:`clock` each time) and its upload sender rewinds the file to where the
upload began, so a retry after a dropped connection is a complete, freshly
signed request.  On top of that this module adds:

- **Clock skew.**  AWS refuses a request signed more than 15 minutes off its
  own clock.  The answer differs by service: S3 ``403 RequestTimeTooSkewed``;
  EC2 ``400 RequestExpired``; the query and JSON services
  ``SignatureDoesNotMatch`` / ``InvalidSignatureException`` with "Signature
  expired" (or "not yet current"); and a HEAD a bare 403 with no body.  The
  offset is taken from the answer's ``Date`` header (else the server time in
  the error body) -- for a bare 403 only when it is more than 5 minutes --
  set on :mod:`clock`, logged once at WARNING, and the request is re-signed
  and sent once more.  Later requests sign with the corrected clock.  S3
  uploads raise from inside boto's sender; ``s3._SenderFailed`` carries that
  answer here.
- **Redirects.**  boto's loop follows any 3xx ``Location`` with the same
  credentials.  For the query services a redirect is followed only to the
  configured host or, when that is an AWS host, to a host under the DNS
  suffix of the connection's partition, and never from HTTPS to HTTP;
  anything else raises :class:`RedirectRefused` before a byte is sent there.
  (S3's own guard lives in ``s3._guarded_sender``.)  A followed redirect is
  re-signed for its new host and path, never with the old ones.
- **Short bodies.**  ``http.client`` (and Python 2's ``httplib``) return
  ``b""`` from ``read(amt)`` when the connection closes before
  ``Content-Length`` bytes arrived, and boto's ``Key`` iteration takes that as
  the end of the object.  Every response returned here raises
  ``IncompleteRead`` instead.
"""
import calendar
import email.utils
import json
import logging
import re
import threading
import time

try:
    import http.client as _http_client
    from urllib.parse import urlparse
except ImportError:  # Python 2
    import httplib as _http_client  # noqa: F401
    from urlparse import urlparse

from . import clock, regions, signer
from ._bind import bind
from .errors import RedirectRefused

log = logging.getLogger("boto_sigv4_shim")

# A bare 403 (a HEAD has no error body) counts as a skew answer only when the
# server's Date is further than this from the request's signing time.
BARE_403_SKEW_SECONDS = 5 * 60
# Corrections closer than this to the offset in force are the same one (the
# Date header has one-second resolution; threads race to report it).
SAME_OFFSET_SECONDS = 5.0

_SIGNATURE_CODES = ("SignatureDoesNotMatch", "InvalidSignatureException")
_EXPIRED_MESSAGE = re.compile(r"Signature (?:expired|not yet current)")
# "... (20130524T001000Z - 15 min.)": the server's time in the message.
_MESSAGE_TIME = re.compile(r"\((\d{8}T\d{6}Z) [-+] 15 min\.\)")
_SERVER_TIME = re.compile(
    r"<ServerTime>\s*(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?Z?\s*"
    r"</ServerTime>")

_lock = threading.Lock()


# -- parsing the skew signals --------------------------------------------------

def _text(body):
    if body is None:
        return ""
    if isinstance(body, bytes):
        return body.decode("utf-8", "replace")
    return body


def parse_http_date(value):
    """Seconds since the epoch for an HTTP ``Date`` value, or None."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_tz(value)
    except (TypeError, ValueError):
        return None
    if parsed is None:
        return None
    try:
        return float(email.utils.mktime_tz(parsed))
    except (TypeError, ValueError, OverflowError):
        return None


def parse_amz_date(value):
    """Seconds since the epoch for ``YYYYMMDDTHHMMSSZ``, or None."""
    try:
        return float(calendar.timegm(time.strptime(value.strip(),
                                                   "%Y%m%dT%H%M%SZ")))
    except (AttributeError, TypeError, ValueError):
        return None


def error_fields(body):
    """(code, message) of an XML or JSON AWS error body; None where absent."""
    text = _text(body).strip()
    if not text:
        return None, None
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            code = data.get("__type") or data.get("code") or data.get("Code")
            message = data.get("message") or data.get("Message")
            if code is not None:
                code = _text(code).split("#")[-1].split(":")[0] or None
            if message is not None:
                message = _text(message)
            return code, message
    code = re.search(r"<Code>\s*([^<]*?)\s*</Code>", text)
    message = re.search(r"<Message>\s*([^<]*?)\s*</Message>", text)
    return (code.group(1) if code else None,
            message.group(1) if message else None)


def server_time_in_body(body):
    """The server's clock as an error body states it (S3's ``<ServerTime>``,
    the query services' "(... - 15 min.)"), in epoch seconds, or None."""
    text = _text(body)
    match = _SERVER_TIME.search(text)
    if match:
        try:
            return float(calendar.timegm(time.strptime(match.group(1),
                                                       "%Y-%m-%dT%H:%M:%S")))
        except ValueError:
            return None
    match = _MESSAGE_TIME.search(text)
    if match:
        return parse_amz_date(match.group(1))
    return None


def skew_kind(status, body, method=None):
    """Which clock-skew answer this is, or None.

    ``"explicit"``: the error says so (S3 RequestTimeTooSkewed, EC2
    RequestExpired, "Signature expired" / "not yet current" from the query
    and JSON services).  ``"bare"``: a 403 without a body to a HEAD, which
    is a skew answer only if the Date header says the clocks differ.
    """
    if status not in (400, 403):
        return None
    code, message = error_fields(body)
    if code is None:
        if status == 403 and method == "HEAD" and not _text(body).strip():
            return "bare"
        return None
    if (code == "RequestTimeTooSkewed" and status == 403) or (
            code == "RequestExpired" and status == 400):
        return "explicit"
    if code in _SIGNATURE_CODES and message and \
            _EXPIRED_MESSAGE.search(message):
        return "explicit"
    return None


def server_time_of(status, body, date_header, method=None, signed_at=None):
    """The server's time (epoch seconds) if this answer refused the request
    for clock skew and says what time it is; else None."""
    kind = skew_kind(status, body, method)
    if kind is None:
        return None
    served = parse_http_date(date_header)
    if served is None:
        served = server_time_in_body(body)
    if served is None:
        return None
    if kind == "bare":
        if signed_at is None or \
                abs(served - signed_at) <= BARE_403_SKEW_SECONDS:
            return None
    return served


# -- correcting the clock -----------------------------------------------------

def correct_clock(server_time, host=None, code=None):
    """Make :func:`clock.now` agree with ``server_time``; returns the offset.

    The first correction (and any later one that moves the offset by more
    than :data:`SAME_OFFSET_SECONDS`) is logged at WARNING; a second thread
    reporting the same skew changes nothing.
    """
    wanted = server_time - time.time()
    with _lock:
        current = clock.offset()
        if abs(wanted - current) <= SAME_OFFSET_SECONDS:
            return current
        clock.set_offset(wanted)
    log.warning("boto_sigv4_shim: %s refused a request for clock skew (%s); "
                "this machine's clock is %+.0f s off the server's. Signing "
                "with the server's time from now on (fix the clock: NTP)",
                host or "the server", code or "403 without a body", wanted)
    return wanted


def _signed_at(request):
    for name in list(request.headers):
        if name.lower() == "x-amz-date":
            return parse_amz_date(signer.to_text(request.headers[name]))
    return None


def _skew_server_time(request, status, body, date_header):
    return server_time_of(status, body, date_header, request.method,
                          _signed_at(request))


# -- responses that are never silently short ---------------------------------

def _remaining(response):
    """Body bytes the response still owes (http.client's ``length``)."""
    length = getattr(response, "length", None)
    if length is None or isinstance(length, bool):
        return 0
    try:
        return max(int(length), 0)
    except (TypeError, ValueError):
        return 0


def guard_length(response):
    """Make ``response.read`` raise ``IncompleteRead`` where the body ended
    before its ``Content-Length``, instead of returning ``b""``."""
    if response is None or getattr(response, "_shim_length_guard", False):
        return response
    try:
        original = response.read
    except AttributeError:
        return response

    def read(amt=None):
        data = original() if amt is None else original(amt)
        if not data and (amt is None or amt > 0):
            missing = _remaining(response)
            if missing:
                raise _http_client.IncompleteRead(b"", missing)
        return data

    try:
        response.read = read
        response._shim_length_guard = True
    except (AttributeError, TypeError):
        pass
    return response


# -- redirects ----------------------------------------------------------------

def _split_location(location):
    """(scheme, netloc, path, query) of a Location, split as boto's redirect
    code splits it (``urlparse``), so the check sees what boto would use."""
    parts = urlparse(location)
    return parts[0].lower(), parts[1], parts[2] or "/", parts[4]


def _host_name(netloc):
    name = netloc.rsplit("@", 1)[-1].lower()
    if name.startswith("["):
        return name.split("]")[0] + "]"
    return name.split(":")[0].rstrip(".")


def redirect_allowed(conn_host, is_secure, region, location):
    """True when a redirect to ``location`` may carry this connection's
    credentials: same scheme strength, and the configured host or (for an AWS
    endpoint) a host under its partition's DNS suffix."""
    scheme, netloc, _, _ = _split_location(location)
    if not netloc or "@" in netloc:
        # boto would connect to the empty host of a relative Location.
        return False
    if is_secure and scheme != "https":
        return False
    if scheme not in ("http", "https"):
        return False
    host = _host_name(netloc)
    configured = _host_name(conn_host or "")
    if host == configured:
        return True
    partition = regions.partition_of(region) if region else None
    if partition is None or regions.aws_suffix_of(configured) is None:
        return False
    if regions.aws_suffix_of(host) != partition.dns_suffix:
        return False
    return regions.aws_suffix_of(configured) == partition.dns_suffix


def _forget_signing_state(request, location, is_s3):
    """Let the handler sign a followed redirect for its new host and path."""
    for name in ("shim_host_header", "shim_base"):
        if hasattr(request, name):
            delattr(request, name)
    if is_s3:
        return
    # The query handler signs path + query from shim_base plus req.params;
    # the Location's query already carries the parameters boto will send.
    _, _, path, query = _split_location(location)
    names = set(request.params or {})
    pairs = [(k, v) for k, v in signer.parse_query(query) if k not in names]
    request.shim_base = ("", signer.service_canonical_path(path), pairs)


def _wrap_sender(conn, request, sender, is_s3):
    handler = conn._auth_handler

    def send(http_conn, method, path, data, headers):
        if callable(sender):
            response = sender(http_conn, method, path, data, headers)
        else:
            http_conn.request(method, path, data, headers)
            response = http_conn.getresponse()
        location = response.getheader("location")
        if location and 300 <= response.status < 400:
            if not is_s3 and not redirect_allowed(
                    conn.host, conn.is_secure,
                    getattr(handler, "region_name", None), location):
                response.read()
                raise RedirectRefused(
                    "boto_sigv4_shim: %s answered %d with a redirect to %r; "
                    "not following it with your credentials (only %r and "
                    "AWS's own hosts of its partition are trusted)"
                    % (conn.host, response.status, location.split("?")[0],
                       conn.host))
            _forget_signing_state(request, location, is_s3)
        return response

    return send


# -- the wrapper --------------------------------------------------------------

def _is_s3(conn):
    try:
        return "s3" in " ".join(conn._required_auth_capability())
    except Exception:  # noqa: BLE001 -- a capability lookup must not fail us
        return False


def _sender_failed_class():
    from .s3 import _SenderFailed
    return _SenderFailed


def mexe_wrapper(wrapped, instance, args, kwargs):
    """Wrapper of ``AWSAuthConnection._mexe``.  See the module docstring."""
    if not getattr(getattr(instance, "_auth_handler", None), "shim_handler",
                   False):
        return wrapped(*args, **kwargs)
    call = bind(wrapped, args, kwargs)
    request = call["request"]
    call["sender"] = _wrap_sender(instance, request, call.get("sender"),
                                  _is_s3(instance))
    sender_failed = _sender_failed_class()
    try:
        response = wrapped(**call)
    except sender_failed as failed:
        answer = failed.response
        served = _skew_server_time(request, answer.status, failed.error.body,
                                   answer.getheader("date"))
        if served is None:
            raise
        correct_clock(served, request.host, failed.error.error_code)
        return guard_length(wrapped(**call))
    if response is not None and response.status in (400, 403):
        body = b"" if request.method == "HEAD" else response.read()
        served = _skew_server_time(request, response.status, body,
                                   response.getheader("date"))
        if served is not None:
            correct_clock(served, request.host, error_fields(body)[0])
            return guard_length(wrapped(**call))
    return guard_length(response)
