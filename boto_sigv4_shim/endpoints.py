"""``connect_to_region`` for any region: boto's region lookups, extended.

``boto.regioninfo._get_region`` (behind every ``<service>.connect_to_region``)
is wrapped for the services the shim manages: any region name of a partition's
form gets a RegionInfo whose endpoint is built by :mod:`regions`, not None;
a name that is not a region raises a ValueError naming it.
"""
from . import regions
from ._bind import bind

# boto's service name -> function(region) -> endpoint host
MANAGED = {
    "s3": regions.s3_host,
    "ec2": lambda r: regions.service_host("ec2", r),
    "autoscaling": lambda r: regions.service_host("autoscaling", r),
    "elasticloadbalancing":
        lambda r: regions.service_host("elasticloadbalancing", r),
    "cloudwatch": lambda r: regions.service_host("monitoring", r),
}


def _region_cls(call):
    cls = call.get("region_cls")
    if cls is None:
        from boto.regioninfo import RegionInfo
        cls = RegionInfo
    return cls


def get_region_wrapper(wrapped, instance, args, kwargs):
    call = bind(wrapped, args, kwargs)
    service = call.get("service_name")
    if service not in MANAGED:
        return wrapped(*args, **kwargs)
    region = regions.validate_region(
        call.get("region_name"), "the region name given to connect_to_region")
    return _region_cls(call)(name=region, endpoint=MANAGED[service](region),
                             connection_cls=call.get("connection_cls"))
