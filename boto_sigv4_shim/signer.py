"""AWS Signature Version 4, the canonical form and the signature.

Pure: no boto import.  The boto side (``_handlers.py``) turns a boto request
into the inputs here and writes the results back, so that what is signed is
exactly what goes on the wire.

The rules are the SigV4 specification's, as botocore applies them:

- URI-encode every byte except the unreserved ``A-Z a-z 0-9 - _ . ~``;
- canonical URI: S3 signs the path as sent, without dot-segment
  normalisation; other services normalise and encode once more;
- canonical query: every (name, value) pair encoded, sorted by name then value,
  repeated names kept, ``name=`` for empty values;
- canonical headers: names lower-cased, values trimmed with inner runs of
  spaces folded, repeated names joined with ``,``; ``user-agent``, ``expect``,
  the hop-by-hop and the tracing headers are never signed (botocore's list:
  proxies and agents rewrite them), every other header is;
- the day's signing key is derived once per (secret, day, region, service).
"""
import hashlib
import hmac
import re
import threading

try:  # Python 3
    from urllib.parse import quote, unquote_to_bytes
except ImportError:  # Python 2
    from urllib import quote, unquote as unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600

# Headers never signed: exactly the ones botocore leaves out
# (botocore.auth.SIGNED_HEADERS_BLACKLIST: rewritten by proxies, HTTP stacks
# and tracing agents), plus the signature itself.  Every other header present
# when the request is signed is signed, as botocore does -- Content-Length
# and Proxy-Connection included (tests/unit/test_signer_differential.py).
UNSIGNED_HEADERS = frozenset((
    "authorization", "baggage", "connection", "expect", "keep-alive",
    "proxy-authenticate", "proxy-authorization", "te", "traceparent",
    "tracestate", "trailer", "transfer-encoding", "upgrade", "user-agent",
    "x-amzn-trace-id",
))

from .errors import UnknownHostError

_UNRESERVED = "-_.~"
_text_type = type(u"")


def to_bytes(value):
    if isinstance(value, bytes):
        return value
    if not isinstance(value, _text_type):
        value = _text_type(value)
    return value.encode("utf-8")


def to_text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, _text_type):
        return value
    return _text_type(value)


def uri_encode(value, safe=_UNRESERVED):
    """Percent-encode ``value`` (text or bytes) as SigV4 wants: UTF-8 bytes,
    every byte but the unreserved ones (and ``safe``) as ``%XX``."""
    return to_text(quote(to_bytes(value), safe=safe))


def _unquote(text):
    data = unquote_to_bytes(to_text(text)) if bytes is not str else \
        unquote_to_bytes(to_bytes(text))
    return data


def s3_canonical_path(path):
    """The path S3 canonicalises: decode, then encode each byte but ``/``.

    No dot-segment or double-slash normalisation: S3 keys may contain them.
    The result is also the form to send, so wire and signature agree.
    """
    if not path:
        return "/"
    return uri_encode(_unquote(path), safe="/" + _UNRESERVED)


def remove_dot_segments(path):
    """RFC 3986 section 5.2.4, plus the empty segments AWS also drops."""
    if not path:
        return "/"
    output = []
    for segment in path.split("/"):
        if segment == "..":
            if output:
                output.pop()
        elif segment and segment != ".":
            output.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and output else ""
    return first + "/".join(output) + last


def service_canonical_path(path):
    """The path other services canonicalise: dot segments and empty segments
    removed, then encoded once more (the wire path is already encoded)."""
    return uri_encode(remove_dot_segments(path), safe="/" + _UNRESERVED)


def parse_query(query):
    """Split a raw query string into decoded (name, value) text pairs.

    ``+`` stays a plus sign (SigV4 never uses ``+`` for a space) and a name
    without ``=`` has the empty value.  Invalid UTF-8 raises ValueError.
    """
    pairs = []
    if not query:
        return pairs
    for part in to_text(query).split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((_unquote(name).decode("utf-8"),
                      _unquote(value).decode("utf-8")))
    return pairs


def canonical_query(pairs):
    """Encoded, sorted ``name=value`` pairs joined with ``&``."""
    encoded = sorted((uri_encode(name), uri_encode(value))
                     for name, value in pairs)
    return "&".join("%s=%s" % pair for pair in encoded)


def fold_value(value):
    """Trim a header value and fold inner runs of white space to one space."""
    return " ".join(to_text(value).split())


def canonical_headers(headers):
    """(canonical header block, signed header names) for ``headers``.

    ``headers`` is an iterable of (name, value); names are compared
    case-insensitively and repeated names are joined with ``,`` in order.
    """
    grouped = {}
    for name, value in headers:
        lname = to_text(name).strip().lower()
        if lname in UNSIGNED_HEADERS or lname.startswith("_"):
            continue
        grouped.setdefault(lname, []).append(fold_value(value))
    names = sorted(grouped)
    block = "".join("%s:%s\n" % (n, ",".join(grouped[n])) for n in names)
    return block, ";".join(names)


def canonical_request(method, path, query, header_block, signed_headers,
                      payload_hash):
    return "\n".join((method.upper(), path, query, header_block,
                      signed_headers, payload_hash))


def credential_scope(date, region, service):
    return "%s/%s/%s/aws4_request" % (date, region, service)


def string_to_sign(amz_date, scope, creq):
    return "\n".join((ALGORITHM, amz_date, scope,
                      hashlib.sha256(to_bytes(creq)).hexdigest()))


def _hmac(key, msg):
    return hmac.new(key, to_bytes(msg), hashlib.sha256).digest()


class SigningKeyCache(object):
    """Day signing keys by (secret digest, day, region, service); bounded.

    The cache keeps a SHA-256 of the secret, never the secret itself, so a
    rotated secret under the same key id gets a fresh key.
    """

    def __init__(self, size=64):
        self.size = size
        self._keys = {}
        self._lock = threading.Lock()

    def get(self, secret_key, date, region, service):
        secret = to_bytes(secret_key)
        cache_key = (hashlib.sha256(secret).digest(), date, region, service)
        with self._lock:
            key = self._keys.get(cache_key)
        if key is None:
            key = derive_signing_key(secret, date, region, service)
            with self._lock:
                if len(self._keys) >= self.size:
                    self._keys.clear()
                self._keys[cache_key] = key
        return key

    def clear(self):
        with self._lock:
            self._keys.clear()


def derive_signing_key(secret_key, date, region, service):
    k_date = _hmac(b"AWS4" + to_bytes(secret_key), date)
    k_region = _hmac(k_date, region)
    k_service = _hmac(k_region, service)
    return _hmac(k_service, "aws4_request")


SIGNING_KEYS = SigningKeyCache()


def signature(signing_key, sts):
    return hmac.new(signing_key, to_bytes(sts), hashlib.sha256).hexdigest()


def authorization_header(access_key, scope, signed_headers, sig):
    return "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (
        ALGORITHM, access_key, scope, signed_headers, sig)


def payload_hash(body):
    """Hex SHA-256 of a body: bytes, text, None or a seekable file (rewound
    to where it was)."""
    if body is None:
        return EMPTY_SHA256
    if hasattr(body, "read") and hasattr(body, "seek"):
        start = body.tell()
        digest = hashlib.sha256()
        while True:
            chunk = body.read(65536)
            if not chunk:
                break
            digest.update(to_bytes(chunk))
        body.seek(start)
        return digest.hexdigest()
    return hashlib.sha256(to_bytes(body)).hexdigest()


_HOST_NAME = re.compile(r"\A[A-Za-z0-9._-]+\Z")
_HOST_IPV6 = re.compile(r"\A\[[0-9A-Fa-f:.]+(?:%[A-Za-z0-9._~%-]+)?\]\Z")
_PORT = re.compile(r"\A[0-9]{1,5}\Z")


def _port_number(port):
    if isinstance(port, bool):
        raise ValueError("boto_sigv4_shim: port %r is not a port number"
                         % (port,))
    text = to_text(port)
    if not _PORT.match(text) or not 0 < int(text) < 65536:
        raise ValueError("boto_sigv4_shim: port %r is not a port number"
                         % (port,))
    return int(text)


def host_header(host, port, secure):
    """Host header value: the name, plus ``:port`` only for a non-default
    port, and the port only once whatever ``host`` already carries.

    Raises :class:`~boto_sigv4_shim.errors.UnknownHostError` (a
    ``ValueError``) for anything that is not a DNS name, an IPv4 address or
    a bracketed IPv6 address (white space, ``@``, ``/``, ``#``, non-ASCII:
    nothing that could end the header or move the authority), and
    ``ValueError`` for a port outside 1-65535.
    """
    if host is None or isinstance(host, bool):
        raise UnknownHostError(host, "a Host header")
    name = to_text(host)
    embedded = None
    if name.startswith("["):
        bracket = name.find("]")
        if bracket < 0:
            raise UnknownHostError(host, "a Host header")
        name, rest = name[:bracket + 1], name[bracket + 1:]
        if rest:
            if not rest.startswith(":"):
                raise UnknownHostError(host, "a Host header")
            embedded = rest[1:]
        valid = _HOST_IPV6.match(name)
    else:
        if name.count(":") == 1:
            name, _, embedded = name.partition(":")
        valid = _HOST_NAME.match(name)
    if not valid:
        raise UnknownHostError(host, "a Host header")
    if port:
        port = _port_number(port)
    elif embedded:
        port = _port_number(embedded)
    else:
        port = 443 if secure else 80
    if (secure and port == 443) or (not secure and port == 80):
        return name.lower()
    return "%s:%d" % (name.lower(), port)
