"""Exceptions and warnings of boto_sigv4_shim.  Pure: no boto import."""


class ShimWarning(Warning):
    """Something the shim could not do as asked, and what it did instead."""


class InvalidRegionError(ValueError):
    """A value that should be a region name is not one.

    The message names the value, where it came from, and the fix.
    """

    def __init__(self, value, source="region", hint=None):
        self.value = value
        self.source = source
        if hint is None:
            hint = ("expected an AWS region name such as 'eu-central-1', "
                    "'cn-north-1' or 'us-gov-west-1'")
        ValueError.__init__(
            self, "boto_sigv4_shim: %r (from %s) is not a valid region name; "
            "%s" % (value, source, hint))


class UnknownHostError(ValueError):
    """A value that should be a host name is not one."""

    def __init__(self, value, source="host"):
        self.value = value
        self.source = source
        ValueError.__init__(
            self, "boto_sigv4_shim: %r (from %s) is not a host name; expected "
            "a DNS name such as 's3.eu-central-1.amazonaws.com' or "
            "'minio.example.com'" % (value, source))


class RedirectRefused(Exception):
    """A server asked the client to go somewhere credentials must not go."""
