"""Signing regions of well-known S3-compatible stores, from their host names.

Pure: no boto import, no I/O.  :func:`signing_region_for` is asked by
``s3.custom_region`` for a non-AWS host when the ``s3_custom_region`` setting
is not set; a host no pattern matches falls through to the normal region
resolution chain.

==========================  =================================================  ============
provider                    host (``<bucket>.`` in front allowed)              region
==========================  =================================================  ============
Cloudflare R2               ``<account>[.eu|.fedramp].r2.cloudflarestorage.com``  ``auto``
Backblaze B2                ``s3.<region>.backblazeb2.com``                    ``<region>``
Wasabi                      ``s3.<region>.wasabisys.com``                      ``<region>``
Wasabi                      ``s3.wasabisys.com``                               ``us-east-1``
DigitalOcean Spaces         ``<region>.digitaloceanspaces.com``                ``<region>``
Google Cloud Storage (XML)  ``storage.googleapis.com`` (HMAC keys,             ``auto``
                            on an S3Connection)
Linode (Akamai)             ``<region>.linodeobjects.com``                     ``<region>``
Scaleway                    ``s3.<region>.scw.cloud``                          ``<region>``
OVHcloud                    ``s3.<region>[.io|.perf].cloud.ovh.net``           ``<region>``
Oracle Cloud                ``<ns>.compat.objectstorage.<region>``             ``<region>``
                            ``.oraclecloud.com``
IBM Cloud Object Storage    ``s3[.private|.direct].<region>``                  ``<region>``
                            ``.cloud-object-storage.appdomain.cloud``
==========================  =================================================  ============

Every region taken from a host must pass
:func:`boto_sigv4_shim.regions.validate_signing_token` (a lower-case
``[a-z0-9-]`` token); a host whose label is not one matches nothing.
"""
import re

from . import regions
from .errors import InvalidRegionError

# (provider, compiled pattern, fixed region or None for the "region" group).
# Patterns see the lower-case name without port or trailing dot.
_B = r"(?:[a-z0-9._-]+\.)?"  # an optional virtual-host bucket (or namespace)
_R = r"(?P<region>[a-z0-9-]+)"
_TABLE = (
    ("Cloudflare R2",
     r"\A%s[a-z0-9-]+\.(?:(?:eu|fedramp)\.)?r2\.cloudflarestorage\.com\Z"
     % _B, "auto"),
    ("Backblaze B2", r"\A%ss3\.%s\.backblazeb2\.com\Z" % (_B, _R), None),
    ("Wasabi", r"\A%ss3\.wasabisys\.com\Z" % _B, "us-east-1"),
    ("Wasabi", r"\A%ss3\.%s\.wasabisys\.com\Z" % (_B, _R), None),
    # <region>.cdn.digitaloceanspaces.com is the CDN, not the S3 API.
    ("DigitalOcean Spaces", r"\A%s(?!cdn\.)%s\.digitaloceanspaces\.com\Z"
     % (_B, _R), None),
    ("Google Cloud Storage", r"\A%sstorage\.googleapis\.com\Z" % _B, "auto"),
    ("Linode Object Storage", r"\A%s%s\.linodeobjects\.com\Z" % (_B, _R),
     None),
    ("Scaleway", r"\A%ss3\.%s\.scw\.cloud\Z" % (_B, _R), None),
    ("OVHcloud", r"\A%ss3\.%s\.(?:io\.|perf\.)?cloud\.ovh\.net\Z" % (_B, _R),
     None),
    ("Oracle Cloud", r"\A%s[a-z0-9-]+\.compat\.objectstorage\.%s"
     r"\.oraclecloud\.com\Z" % (_B, _R), None),
    ("IBM Cloud Object Storage", r"\A%ss3\.(?:private\.|direct\.)?%s"
     r"\.cloud-object-storage\.appdomain\.cloud\Z" % (_B, _R), None),
)
PATTERNS = tuple((provider, re.compile(pattern), region)
                 for provider, pattern, region in _TABLE)


def _host_name(host):
    text = host
    if isinstance(text, bytes) and not isinstance(text, str):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            return None
    try:
        text = text.strip()
    except AttributeError:
        return None
    if not text:
        return None
    name = text.lower()
    if name.startswith("["):
        return None
    if name.count(":") == 1:
        name, port = name.split(":")
        if not port.isdigit():
            return None
    return name.rstrip(".") or None


def signing_region_for(host):
    """(region, provider) for a well-known S3-compatible host, else None."""
    name = _host_name(host)
    if name is None:
        return None
    for provider, pattern, fixed in PATTERNS:
        match = pattern.match(name)
        if match is None:
            continue
        value = fixed or match.group("region")
        try:
            region = regions.validate_signing_token(
                value, "the host name %r" % (name,))
        except InvalidRegionError:
            return None
        return region, provider
    return None
