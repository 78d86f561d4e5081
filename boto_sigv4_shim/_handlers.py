"""boto 2's SigV4 handlers, corrected, and the wrapper that selects them.

While the shim is installed, ``boto.auth.get_auth_handler`` hands out
:class:`S3SigV4Handler` for ``hmac-v4-s3`` and :class:`QuerySigV4Handler`
for ``hmac-v4``.  They subclass boto's own handlers (so ``isinstance`` checks
and ``capability`` stay as boto code expects) but do the signing through the
pure :mod:`boto_sigv4_shim.signer`, writing back the exact path, query and
Host header that were signed.  They are not direct subclasses of
``AuthHandler``, so boto's plugin discovery never offers them on its own:
after ``uninstall()`` nothing selects them.

What they correct in boto 2.49:
- the credential scope's region comes from the connection (or the request,
  for per-bucket routing), never guessed from a custom host name;
- Host is signed and sent once, ``name[:port]`` with the port only when it is
  not the default (boto sends ``host:port:port``, and ``host:443`` on
  Python 3);
- ``User-Agent`` and hop-by-hop headers are not signed;
- path and query are signed exactly as sent (RFC 3986 encoding, repeated
  query names kept, ``+`` never a space);
- presigned URLs carry extra query parameters and honour the expiry limit.
"""
import logging

import boto
import boto.auth
import boto.auth_handler
import boto.exception
import boto.utils

from . import clock, credentials, redact, regions, signer
from ._bind import bind

log = logging.getLogger("boto_sigv4_shim")


class MissingCredentialsError(boto.exception.NoAuthHandlerFound):
    """No credentials for a SigV4 connection; says where they can come from."""


def _split_path(path):
    """(absolute-URL prefix for HTTP proxies, path, raw query)."""
    prefix = ""
    if "://" in path.split("?", 1)[0]:
        scheme, rest = path.split("://", 1)
        slash = rest.find("/")
        netloc, path = (rest, "/") if slash < 0 else (rest[:slash], rest[slash:])
        prefix = "%s://%s" % (scheme, netloc)
    path, _, query = path.partition("?")
    return prefix, path or "/", query


def _param_pairs(params):
    pairs = []
    for name in (params or {}):
        value = params[name]
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            item = "" if item is None else item
            pairs.append((signer.to_text(name),
                          signer.to_text(boto.utils.get_utf8_value(item))))
    return pairs


def _body_to_bytes(req):
    """A text body goes out as the UTF-8 bytes that are hashed and counted
    (http.client would send text as Latin-1, or fail, and boto's
    Content-Length would count characters)."""
    if isinstance(req.body, signer._text_type):
        req.body = req.body.encode("utf-8")


def _pop_header(headers, lname):
    """Remove every spelling of header ``lname``; return the last value."""
    value = None
    for name in list(headers):
        if name.lower() == lname:
            value = headers.pop(name)
    return value


class _SigV4Mixin(object):
    """What both handlers share: credentials, region, the signing itself."""

    shim_handler = True

    def _credentials(self):
        """Key id, secret and token as one unexpired set (a refresh between
        three separate reads could mix two sets)."""
        access_key, secret_key, token = credentials.snapshot(self._provider)
        redact.remember(secret_key, token)
        return access_key, secret_key, token

    def _region_for(self, req):
        region = getattr(req, "shim_region", None) or self.region_name
        if region:
            return region
        guessed = regions.region_from_service_host(req.host)
        return guessed or regions.DEFAULT_REGION

    def _host_value(self, req):
        """The Host to sign and send: the caller's own, else name[:port]."""
        stored = getattr(req, "shim_host_header", None)
        if stored is None:
            given = _pop_header(req.headers, "host")
            stored = signer.to_text(given) if given else signer.host_header(
                req.host, req.port, req.protocol == "https")
            req.shim_host_header = stored
        return stored

    def _sign(self, req, path, query, payload, service):
        headers = req.headers
        for lname in ("authorization", "x-amz-date", "x-amz-security-token",
                      "host"):
            _pop_header(headers, lname)
        access_key, secret_key, token = self._credentials()
        amz_date = clock.amz_date()
        headers["Host"] = self._host_value(req)
        headers["X-Amz-Date"] = amz_date
        if token:
            headers["X-Amz-Security-Token"] = token
        region = self._region_for(req)
        block, signed = signer.canonical_headers(headers.items())
        creq = signer.canonical_request(req.method, path, query, block, signed,
                                        payload)
        scope = signer.credential_scope(amz_date[:8], region, service)
        sts = signer.string_to_sign(amz_date, scope, creq)
        key = signer.SIGNING_KEYS.get(secret_key, amz_date[:8], region, service)
        headers["Authorization"] = signer.authorization_header(
            access_key, scope, signed, signer.signature(key, sts))
        req.shim_region_signed = region
        if log.isEnabledFor(logging.DEBUG):
            log.debug("signed %s %s for %s/%s (signed headers: %s)",
                      req.method, path, region, service, signed)


class S3SigV4Handler(_SigV4Mixin, boto.auth.S3HmacAuthV4Handler):
    """boto's ``hmac-v4-s3`` handler, signing through the shim's signer."""

    def _base(self, req):
        """(prefix, wire path, query pairs) of the request as first built."""
        base = getattr(req, "shim_base", None)
        if base is None:
            prefix, path, query = _split_path(req.path)
            pairs = signer.parse_query(query) + _param_pairs(req.params)
            base = (prefix, signer.s3_canonical_path(path), pairs)
            req.shim_base = base
            req.params = {}
        return base

    def add_auth(self, req, **kwargs):
        prefix, path, pairs = self._base(req)
        query = signer.canonical_query(pairs)
        req.path = prefix + path + ("?" + query if query else "")
        _body_to_bytes(req)
        precomputed = _pop_header(req.headers, "_sha256")
        payload = _pop_header(req.headers, "x-amz-content-sha256")
        payload = payload or precomputed or signer.payload_hash(req.body)
        req.headers["x-amz-content-sha256"] = payload
        self._sign(req, path, query, payload, "s3")

    def presign(self, req, expires, iso_date=None):
        """A SigV4 query-signed URL for ``req``, valid ``expires`` seconds."""
        try:
            expires = int(expires)
        except (TypeError, ValueError):
            raise ValueError("boto_sigv4_shim: expires_in=%r is not a number "
                             "of seconds" % (expires,))
        if not 1 <= expires <= signer.MAX_PRESIGN_EXPIRES:
            raise ValueError(
                "boto_sigv4_shim: a SigV4 presigned URL can be valid for 1 to "
                "604800 seconds (7 days); expires_in=%d is outside that. "
                "Use a shorter expiry." % expires)
        access_key, secret_key, token = self._credentials()
        amz_date = iso_date or clock.amz_date()
        region = self._region_for(req)
        prefix, path, pairs = self._base(req)
        host = self._host_value(req)
        headers = [(k, v) for k, v in req.headers.items()
                   if k.lower() not in ("host", "x-amz-date", "_sha256",
                                        "x-amz-content-sha256")]
        block, signed = signer.canonical_headers([("host", host)] + headers)
        scope = signer.credential_scope(amz_date[:8], region, "s3")
        pairs = pairs + [
            ("X-Amz-Algorithm", signer.ALGORITHM),
            ("X-Amz-Credential", "%s/%s" % (access_key, scope)),
            ("X-Amz-Date", amz_date),
            ("X-Amz-Expires", str(expires)),
            ("X-Amz-SignedHeaders", signed),
        ]
        if token:
            pairs.append(("X-Amz-Security-Token", token))
        query = signer.canonical_query(pairs)
        creq = signer.canonical_request(req.method, path, query, block, signed,
                                        signer.UNSIGNED_PAYLOAD)
        sts = signer.string_to_sign(amz_date, scope, creq)
        key = signer.SIGNING_KEYS.get(secret_key, amz_date[:8], region, "s3")
        return "%s://%s%s?%s&X-Amz-Signature=%s" % (
            req.protocol, host, path, query, signer.signature(key, sts))


class QuerySigV4Handler(_SigV4Mixin, boto.auth.HmacAuthV4Handler):
    """boto's ``hmac-v4`` handler (EC2 and the query services), corrected."""

    def add_auth(self, req, **kwargs):
        base = getattr(req, "shim_base", None)
        if base is None:
            prefix, path, query = _split_path(req.path)
            # Sent: the path with its encoding normalised and dot and empty
            # segments removed; signed: that, encoded once more (the
            # canonical form of the path the server receives).
            wire = signer.remove_dot_segments(signer.s3_canonical_path(path))
            base = (prefix, wire, signer.parse_query(query))
            req.shim_base = base
        prefix, wire, pairs = base
        path = signer.service_canonical_path(wire)
        params = _param_pairs(req.params)
        service = self.service_name or self.determine_service_name(req.host)
        if req.method == "POST" and params:
            req.body = signer.canonical_query(params)
            _pop_header(req.headers, "content-type")
            req.headers["Content-Type"] = ("application/x-www-form-urlencoded; "
                                           "charset=UTF-8")
            req.headers["Content-Length"] = str(len(req.body))
            query = signer.canonical_query(pairs)
        else:
            query = signer.canonical_query(pairs + params)
        req.path = prefix + wire + ("?" + query if query else "")
        _body_to_bytes(req)
        body = req.body if req.body not in (None, b"") else b""
        self._sign(req, path, query, signer.payload_hash(body), service)


def _missing_credentials(host):
    return MissingCredentialsError(
        "boto_sigv4_shim: no AWS credentials for %s. Set AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY, add them to the [Credentials] section of "
        "~/.boto or to ~/.aws/credentials, or pass aws_access_key_id= and "
        "aws_secret_access_key= to the connection." % (host,))


_HANDLERS = {
    "hmac-v4-s3": S3SigV4Handler,
    "hmac-v4": QuerySigV4Handler,
}


def select_auth_handler(wrapped, instance, args, kwargs):
    """Wrapper of ``boto.auth.get_auth_handler``: our handlers for SigV4."""
    call = bind(wrapped, args, kwargs)
    capability = list(call.get("requested_capability") or [])
    cls = _HANDLERS.get(capability[0]) if len(capability) == 1 else None
    if cls is None:
        return wrapped(*args, **kwargs)
    try:
        return cls(call["host"], call["config"], call["provider"])
    except boto.auth_handler.NotReadyToAuthenticate:
        raise _missing_credentials(call["host"])
