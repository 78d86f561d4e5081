"""Keep secrets out of log records and request reprs.

Pure: no boto import.  boto 2 logs whole requests at DEBUG (``Token: ...``,
``Final headers: {... 'Authorization': ...}``, ``Signature: ...``), and a
legacy program may log at DEBUG in production.  While the shim is installed
a :class:`SecretFilter` sits on the ``boto`` and ``boto_sigv4_shim`` loggers
and rewrites each record's final message:

- every secret access key, session token and web identity token the shim has
  seen (:func:`remember`) is replaced wherever it appears;
- signatures are replaced by pattern: ``Signature=<hex>`` in Authorization
  headers and presigned URLs, SigV2's ``AWS <key id>:<signature>``, boto's
  own ``Signature:`` / ``base64 encoded digest:`` debug lines;
- ``X-Amz-Security-Token`` header or parameter values, boto's ``Token:``
  line, ``WebIdentityToken=`` form values.

Access key ids are not secret (they appear in every credential scope) and
stay, so logs remain useful for debugging.
"""
import logging
import re
import threading

REDACTED = "[redacted]"  # no angle brackets: error bodies stay XML

_PATTERNS = (
    # SigV4 header and presigned URL signatures (hex), SigV2 query signatures.
    (re.compile(r"((?:X-Amz-)?Signature=)[^&\s'\",;}]+", re.I), r"\1" + REDACTED),
    # SigV2 Authorization header: AWS AKID:base64signature
    (re.compile(r"(\bAWS [A-Za-z0-9]{12,128}:)[A-Za-z0-9+/=]{16,}"),
     r"\1" + REDACTED),
    # Session tokens as header (dict repr or raw) or query parameter.
    (re.compile(r"(X-Amz-Security-Token['\"]?\s*[:=]\s*['\"]?)[^'\"&\s,}]+",
                re.I), r"\1" + REDACTED),
    (re.compile(r"(WebIdentityToken=)[^&\s'\"]+"), r"\1" + REDACTED),
    # boto's own debug lines.
    (re.compile(r"^(Token: )(?!None$).+$", re.M), r"\1" + REDACTED),
    (re.compile(r"^(Signature:\s*)\S+", re.M), r"\1" + REDACTED),
    (re.compile(r"(base64 encoded digest: )\S+"), r"\1" + REDACTED),
    (re.compile(r"(aws_secret_access_key['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+",
                re.I), r"\1" + REDACTED),
)

_lock = threading.Lock()
_secrets = []       # most recent last; bounded
_MAX_SECRETS = 32


def remember(*values):
    """Register secret values (secret keys, tokens) to be scrubbed."""
    with _lock:
        for value in values:
            if not value or not isinstance(value, (str, type(u""))):
                continue
            if len(value) < 8:  # too short to scrub without mangling text
                continue
            if value in _secrets:
                continue
            _secrets.append(value)
            if len(_secrets) > _MAX_SECRETS:
                del _secrets[0]


def scrub(text):
    """``text`` with every known secret and signature pattern replaced."""
    if not text:
        return text
    with _lock:
        secrets = list(_secrets)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SecretFilter(logging.Filter):
    """Rewrites a record's message with :func:`scrub`; never drops one."""

    def filter(self, record):
        try:
            message = record.getMessage()
            cleaned = scrub(message)
            if cleaned != message:
                record.msg = cleaned
                record.args = ()
            if record.exc_info and record.exc_info[1] is not None and \
                    not record.exc_text:
                formatter = logging.Formatter()
                record.exc_text = scrub(formatter.formatException(
                    record.exc_info))
        except Exception:  # a filter must never break logging
            pass
        return True


FILTER = SecretFilter()
LOGGERS = ("boto", "boto_sigv4_shim")


def attach():
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if FILTER not in logger.filters:
            logger.addFilter(FILTER)


def detach():
    for name in LOGGERS:
        logging.getLogger(name).removeFilter(FILTER)
