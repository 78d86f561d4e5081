"""S3: every S3Connection signs with SigV4 for its region, at its region's host.

Wrapped (by ``_patching``):
- ``S3Connection.__init__``: works out host and region (see :func:`plan`)
  before boto's own constructor runs, and pins the signing region;
- ``S3Connection._required_auth_capability``: ``hmac-v4-s3`` (``anon`` for
  anonymous connections) for every connection the shim has planned.

Google Cloud Storage connections (``GSConnection``, ``gs://`` URIs) and hosts
listed in the ``sigv2_hosts`` setting are left entirely to boto.
"""
import logging

from boto.s3.connection import NoHostProvided

from . import regions, settings
from ._bind import bind

log = logging.getLogger("boto_sigv4_shim")


class S3Plan(object):
    """Where an S3 connection goes and how it signs."""

    __slots__ = ("host", "region", "kind", "source", "sigv4")

    def __init__(self, host, region, kind, source, sigv4=True):
        self.host = host
        self.region = region
        self.kind = kind
        self.source = source
        self.sigv4 = sigv4

    def __repr__(self):
        return "S3Plan(host=%r, region=%r, kind=%r, source=%r, sigv4=%r)" % (
            self.host, self.region, self.kind, self.source, self.sigv4)


def _is_google(call):
    provider = call.get("provider")
    name = getattr(provider, "name", provider)
    return name == "google"


def plan(host_argument=NoHostProvided, config=None, environ=None):
    """The :class:`S3Plan` for a connection given its ``host=`` argument.

    Host: the call site's ``host=``, else ``[s3] host`` from the boto config,
    else the public endpoint of the resolved region.  Region: the one a
    public S3 host names; for other AWS hosts (VPC, FIPS) the one they name,
    else the resolved region; for non-AWS hosts ``s3_custom_region``, else the
    resolved region (any ``[a-z0-9-]`` token there).
    """
    config = settings.boto_config() if config is None else config
    host, source = None, None
    if host_argument not in (NoHostProvided, None, ""):
        host, source = host_argument, "the host= argument"
    else:
        configured = config.get("s3", "host", None)
        if configured:
            host, source = configured, "[s3] host in the boto config"
    if host is None:
        region, region_source = settings.resolve_region(
            environ=environ, config=config)
        return S3Plan(regions.s3_host(region), region,
                      "global" if region == "us-east-1" else "regional",
                      region_source)
    if settings.is_sigv2_host(host, environ, config):
        return S3Plan(host, None, "sigv2", source, sigv4=False)
    try:
        info = regions.parse_s3_host(host)
    except regions.UnknownHostError:
        raise regions.UnknownHostError(host, source)
    if info.kind in ("global", "regional"):
        return S3Plan(host, info.region, info.kind, source)
    if info.kind == "aws-special":
        region = info.region or settings.resolve_region(
            environ=environ, config=config)[0]
        return S3Plan(host, region, info.kind, source)
    value, custom_source = settings.get("s3_custom_region", None, environ,
                                        config)
    if custom_source:
        region = regions.validate_signing_token(value, custom_source)
    else:
        region = custom_region(host, environ, config)
    return S3Plan(host, region, "custom", source)


def custom_region(host, environ=None, config=None):
    """Signing region for a non-AWS S3 host with no region configured."""
    for value, source in settings.region_candidates((), environ, config):
        return regions.validate_signing_token(value, source)
    return regions.DEFAULT_REGION


def init_wrapper(wrapped, instance, args, kwargs):
    call = bind(wrapped, args, kwargs)
    if _is_google(call) or type(instance).__name__ == "GSConnection":
        return wrapped(*args, **kwargs)
    shim_plan = plan(call.get("host", NoHostProvided))
    instance._shim_s3 = shim_plan
    call["host"] = shim_plan.host
    log.debug("S3 connection: %r", shim_plan)
    result = wrapped(**call)
    if shim_plan.sigv4 and getattr(instance._auth_handler, "shim_handler",
                                   False):
        instance._auth_handler.region_name = shim_plan.region
    return result


def capability_wrapper(wrapped, instance, args, kwargs):
    shim_plan = getattr(instance, "_shim_s3", None)
    if shim_plan is None or not shim_plan.sigv4:
        return wrapped(*args, **kwargs)
    if getattr(instance, "anon", False):
        return ["anon"]
    return ["hmac-v4-s3"]
