"""boto-side hooks of :mod:`redact`: request reprs and server errors
without secrets."""
from . import redact


def request_str_wrapper(wrapped, instance, args, kwargs):
    """``str(HTTPRequest)`` lists headers (Authorization, token): scrubbed."""
    return redact.scrub(wrapped(*args, **kwargs))


def server_error_init_wrapper(wrapped, instance, args, kwargs):
    """S3's SignatureDoesNotMatch echoes the canonical request (session token
    included) and the signature: boto puts that body into the exception's
    message.  Scrub it before boto parses it.  (status, reason, body, *args)"""
    args = list(args)
    if len(args) >= 3:
        args[2] = _scrub_body(args[2])
    elif "body" in kwargs:
        kwargs = dict(kwargs, body=_scrub_body(kwargs["body"]))
    return wrapped(*args, **kwargs)


def _scrub_body(body):
    if not body or not isinstance(body, (bytes, type(u""))):
        return body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    cleaned = redact.scrub(text)
    if cleaned == text:
        return body
    return cleaned.encode("utf-8") if isinstance(body, bytes) else cleaned
