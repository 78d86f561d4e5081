"""EC2 and its query-service family: hmac-v4 for every region, scope = host.

``EC2Connection.__init__`` (and so ``VPCConnection``), ``AutoScaleConnection``,
``ELBConnection`` and ``CloudWatchConnection`` are wrapped: with no
``region=`` the region comes from the resolution chain (the service's own
boto setting first, e.g. ``[Boto] ec2_region_name``) and the endpoint is
``<service>.<region>.<suffix>``; the signing region and service are pinned on
the handler so the credential scope always matches the host.
"""
import logging

from boto.regioninfo import RegionInfo

from . import regions, settings
from ._bind import bind

log = logging.getLogger("boto_sigv4_shim")

# connection class name -> (endpoint prefix / signing name, boto setting)
SERVICES = {
    "EC2Connection": ("ec2", ("Boto", "ec2_region_name")),
    "AutoScaleConnection": ("autoscaling", ("Boto", "autoscale_region_name")),
    "ELBConnection": ("elasticloadbalancing", ("Boto", "elb_region_name")),
    "CloudWatchConnection": ("monitoring", ("Boto", "cloudwatch_region_name")),
}


def service_of(instance):
    for cls in type(instance).__mro__:
        if cls.__name__ in SERVICES:
            return SERVICES[cls.__name__]
    raise TypeError("boto_sigv4_shim: %r is not an EC2-family connection"
                    % (type(instance).__name__,))


def signing_region(region_info, service_option, config=None, environ=None):
    """The credential-scope region for a RegionInfo: the one its AWS endpoint
    names, else (non-AWS endpoint) its name when that is a signing token,
    else the resolution chain."""
    endpoint = getattr(region_info, "endpoint", None) or ""
    if regions.is_aws_host(endpoint):
        named = regions.region_from_service_host(endpoint)
        if named:
            return named
        if getattr(region_info, "name", None) and regions.is_aws_region(
                region_info.name):
            return region_info.name
        return regions.DEFAULT_REGION
    name = getattr(region_info, "name", None)
    if name:
        return regions.validate_signing_token(name, "the region= argument")
    return settings.resolve_region((service_option,), environ, config)[0]


def init_wrapper(wrapped, instance, args, kwargs):
    prefix, option = service_of(instance)
    call = bind(wrapped, args, kwargs)
    region_info = call.get("region")
    if not region_info:
        name, source = settings.resolve_region((option,))
        region_info = RegionInfo(name=name,
                                 endpoint=regions.service_host(prefix, name),
                                 connection_cls=type(instance))
        call["region"] = region_info
        log.debug("%s: region %s from %s", type(instance).__name__, name,
                  source)
    region = signing_region(region_info, option)
    result = wrapped(**call)
    handler = instance._auth_handler
    if getattr(handler, "shim_handler", False):
        handler.region_name = region
        handler.service_name = prefix
    return result
