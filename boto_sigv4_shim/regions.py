"""Region names, partitions, DNS suffixes and host names.

Pure logic: no boto import, no I/O.  Everything that turns a region name into a
host name goes through :func:`validate_region` first, so no host is ever built
from a string that is not a region name of a known partition.
"""
import re

from .errors import InvalidRegionError, UnknownHostError


class Partition(object):
    """One AWS partition: the regions it covers and its DNS suffix."""

    __slots__ = ("name", "dns_suffix", "pattern")

    def __init__(self, name, dns_suffix, pattern):
        self.name = name
        self.dns_suffix = dns_suffix
        self.pattern = re.compile(pattern)

    def __repr__(self):
        return "Partition(%r, %r)" % (self.name, self.dns_suffix)


# botocore's partition region patterns, with ``\w`` narrowed to ``[a-z0-9]``:
# on Python 3 ``\w`` also matches underscores and non-ASCII letters, neither of
# which may ever end up in a host name.  Order matters only for readability:
# the patterns are disjoint.
_W = "[a-z0-9]+"
PARTITIONS = (
    Partition("aws", "amazonaws.com",
              r"\A(us|eu|ap|sa|ca|me|af|il|mx)-%s-[0-9]+\Z" % _W),
    Partition("aws-cn", "amazonaws.com.cn", r"\Acn-%s-[0-9]+\Z" % _W),
    Partition("aws-us-gov", "amazonaws.com", r"\Aus-gov-%s-[0-9]+\Z" % _W),
    Partition("aws-iso", "c2s.ic.gov", r"\Aus-iso-%s-[0-9]+\Z" % _W),
    Partition("aws-iso-b", "sc2s.sgov.gov", r"\Aus-isob-%s-[0-9]+\Z" % _W),
    Partition("aws-iso-e", "cloud.adc-e.uk", r"\Aeu-isoe-%s-[0-9]+\Z" % _W),
    Partition("aws-iso-f", "csp.hci.ic.gov", r"\Aus-isof-%s-[0-9]+\Z" % _W),
    Partition("aws-eusc", "amazonaws.eu", r"\Aeusc-de-%s-[0-9]+\Z" % _W),
)

DEFAULT_REGION = "us-east-1"

# boto 2's S3 location constraints (boto.s3.connection.Location) that are not
# region names themselves.
_LOCATION_ALIASES = {
    "": "us-east-1",
    "US": "us-east-1",
    "EU": "eu-west-1",
}

# A signing region for a non-AWS endpoint (MinIO site name, R2's "auto",
# Backblaze's "us-west-004", ...).
_TOKEN = re.compile(r"\A[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")

# The regions AWS had opened when this release was made.  Validity does not
# depend on this list (any name of a partition's form is accepted, as botocore
# does for future regions); it serves documentation and the ``regions()``
# listings.
KNOWN_REGIONS = (
    "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2",
    "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-southeast-1",
    "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
    "ap-southeast-6", "ap-southeast-7", "ca-central-1", "ca-west-1",
    "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
    "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1",
    "me-south-1", "mx-central-1", "sa-east-1", "us-east-1", "us-east-2",
    "us-west-1", "us-west-2",
    "cn-north-1", "cn-northwest-1",
    "us-gov-east-1", "us-gov-west-1",
)


def _text(value):
    """Return ``value`` as native text, or None when it is not a string."""
    if isinstance(value, bytes) and not isinstance(value, str):
        try:
            return value.decode("ascii")
        except UnicodeDecodeError:
            return None
    try:
        basestring  # noqa: F821 -- Python 2
    except NameError:
        return value if isinstance(value, str) else None
    return value if isinstance(value, basestring) else None  # noqa: F821


def partition_of(region):
    """The :class:`Partition` whose pattern ``region`` matches, else None."""
    region = _text(region)
    if region is None:
        return None
    for partition in PARTITIONS:
        if partition.pattern.match(region):
            return partition
    return None


def is_aws_region(region):
    return partition_of(region) is not None


def validate_region(region, source="region"):
    """Return ``region`` as an AWS region name, mapping boto's location names.

    ``source`` says where the value came from (a setting's name, an
    environment variable, a call argument); it goes into the error so the
    user knows what to fix.  Raises :class:`InvalidRegionError` (a
    ``ValueError``) for anything that is not a region name of a partition.
    """
    text = _text(region)
    if text is not None:
        stripped = text.strip()
        if stripped in _LOCATION_ALIASES:
            return _LOCATION_ALIASES[stripped]
        if partition_of(stripped) is not None:
            return stripped
        if partition_of(stripped.lower()) is not None:
            raise InvalidRegionError(
                region, source, "AWS region names are lower case: use %r"
                % stripped.lower())
    raise InvalidRegionError(region, source)


def validate_signing_token(region, source="region"):
    """A signing region for a non-AWS endpoint: any ``[a-z0-9-]`` token."""
    text = _text(region)
    if text is not None:
        text = text.strip()
        if _TOKEN.match(text):
            return text
    raise InvalidRegionError(
        region, source,
        "a signing region for an S3-compatible store is a lower-case token "
        "of letters, digits and '-' (e.g. 'us-east-1', 'auto')")


def dns_suffix(region):
    return partition_of(validate_region(region)).dns_suffix


def s3_host(region, dualstack=False):
    """The public S3 endpoint for ``region``, as boto3 builds it."""
    region = validate_region(region)
    suffix = partition_of(region).dns_suffix
    if dualstack:
        return "s3.dualstack.%s.%s" % (region, suffix)
    if region == "us-east-1":
        return "s3.amazonaws.com"
    return "s3.%s.%s" % (region, suffix)


def service_host(service, region):
    """``<service>.<region>.<suffix>``: EC2 and the query services."""
    region = validate_region(region)
    text = _text(service)
    if text is None or not _TOKEN.match(text):  # one DNS label
        raise ValueError("boto_sigv4_shim: %r is not a service endpoint prefix"
                         % (service,))
    return "%s.%s.%s" % (text, region, partition_of(region).dns_suffix)


def _split_host(host):
    """Lower-case host name without port or trailing dot; None if not a name."""
    text = _text(host)
    if not text:
        return None
    text = text.strip()
    if not re.match(r"\A[\x21-\x7e]+\Z", text):
        return None  # white space, control or non-ASCII (K KELVIN SIGN
        # would lower-case to "k"): not a DNS name as given
    text = text.lower()
    if text.startswith("["):
        return None  # IPv6 literal: never an AWS name
    if text.count(":") == 1:
        text, port = text.split(":")
        if not port.isdigit():
            return None
    text = text.rstrip(".")
    if not re.match(r"\A[a-z0-9._-]+\Z", text):
        return None
    return text


def aws_suffix_of(host):
    """The partition DNS suffix ``host`` ends with, or None for non-AWS hosts."""
    name = _split_host(host)
    if name is None:
        return None
    # Longest suffix first: amazonaws.com.cn before amazonaws.com.
    for suffix in sorted(set(p.dns_suffix for p in PARTITIONS), key=len,
                         reverse=True):
        if name == suffix or name.endswith("." + suffix):
            return suffix
    return None


def is_aws_host(host):
    return aws_suffix_of(host) is not None


# s3.amazonaws.com, bucket.s3.amazonaws.com, s3.external-1.amazonaws.com
_S3_GLOBAL = re.compile(r"\A(?:(?P<bucket>.+)\.)?s3(?:\.external-1)?\.amazonaws\.com\Z")
# [bucket.]s3[.dualstack].<region>.<suffix>  and  [bucket.]s3-<region>.<suffix>
_S3_REGIONAL = re.compile(
    r"\A(?:(?P<bucket>.+)\.)?s3(?:\.dualstack)?[.-](?P<region>[a-z0-9-]+)\."
    r"(?P<suffix>amazonaws\.com(?:\.cn)?|c2s\.ic\.gov|sc2s\.sgov\.gov|"
    r"cloud\.adc-e\.uk|csp\.hci\.ic\.gov|amazonaws\.eu)\Z")


class S3HostInfo(object):
    """What a host name says about S3: its kind and the region it implies.

    ``kind`` is one of:
      - ``"global"``: s3.amazonaws.com (us-east-1, redirects to the bucket's region)
      - ``"regional"``: a public regional endpoint, dot or dash form, dual-stack
      - ``"aws-special"``: an AWS name that is not a public S3 endpoint (VPC
        endpoint, FIPS, access point, ...): kept as given, never redirected
      - ``"custom"``: not an AWS name (MinIO, Ceph, R2, GCS XML API, ...)
    """

    __slots__ = ("host", "kind", "region", "dualstack")

    def __init__(self, host, kind, region=None, dualstack=False):
        self.host = host
        self.kind = kind
        self.region = region
        self.dualstack = dualstack

    @property
    def is_public_endpoint(self):
        return self.kind in ("global", "regional")

    def __repr__(self):
        return "S3HostInfo(%r, kind=%r, region=%r)" % (self.host, self.kind,
                                                        self.region)


def parse_s3_host(host):
    """Classify an S3 host name (with or without bucket and port)."""
    name = _split_host(host)
    if name is None:
        raise UnknownHostError(host)
    suffix = aws_suffix_of(name)
    if suffix is None:
        return S3HostInfo(name, "custom")
    if _S3_GLOBAL.match(name):
        return S3HostInfo(name, "global", "us-east-1")
    match = _S3_REGIONAL.match(name)
    if match and "fips" not in name.split(".") and ".vpce." not in "." + name:
        region = match.group("region")
        part = partition_of(region)
        if part is not None and part.dns_suffix == match.group("suffix"):
            return S3HostInfo(name, "regional", region,
                              dualstack=".dualstack." in "." + name)
    # VPC endpoints (bucket.vpce-xxx.s3.<region>.vpce.amazonaws.com), FIPS
    # (s3-fips.<region>.amazonaws.com), access points, S3 on Outposts: keep
    # the host, sign for the region it names when it names one.
    return S3HostInfo(name, "aws-special", _region_label(name))


def _region_label(name):
    """The first label of ``name`` that is a region name, else None."""
    for label in name.split("."):
        for candidate in (label, label[3:] if label.startswith("s3-") else None,
                          label[8:] if label.startswith("s3-fips-") else None):
            if candidate and partition_of(candidate) is not None:
                return candidate
    return None


def region_from_service_host(host):
    """Region a ``<service>.<region>.<suffix>`` (or special) AWS host names."""
    name = _split_host(host)
    if name is None or aws_suffix_of(name) is None:
        return None
    return _region_label(name)
