"""Which region each bucket lives in: a per-process, thread-safe cache.

Pure: no boto import.  Keyed by (partition, bucket) so a bucket name in the
China partition never routes a commercial-partition request.  Entries come
only from validated region names (see ``s3.learn_region``).
"""
import re
import threading

from . import regions

_REGION_TAG = re.compile(br"<Region>\s*([^<]{1,64}?)\s*</Region>")


class BucketRegionCache(object):
    def __init__(self):
        self._lock = threading.Lock()
        self._regions = {}

    def get(self, partition, bucket):
        with self._lock:
            return self._regions.get((partition, bucket))

    def set(self, partition, bucket, region):
        with self._lock:
            self._regions[(partition, bucket)] = region

    def forget(self, partition, bucket):
        with self._lock:
            self._regions.pop((partition, bucket), None)

    def clear(self):
        with self._lock:
            self._regions.clear()

    def __len__(self):
        with self._lock:
            return len(self._regions)


CACHE = BucketRegionCache()


def region_from_body(body):
    """The <Region> an S3 error body names (AuthorizationHeaderMalformed),
    as text, or None.  Never the <Endpoint>: hosts are built, not taken."""
    if not body:
        return None
    if not isinstance(body, bytes):
        body = body.encode("utf-8", "replace")
    match = _REGION_TAG.search(body)
    if match is None:
        return None
    return match.group(1).decode("utf-8", "replace")


def error_code(body):
    if not body:
        return None
    if not isinstance(body, bytes):
        body = body.encode("utf-8", "replace")
    match = re.search(br"<Code>\s*([A-Za-z0-9.]{1,64})\s*</Code>", body)
    return match.group(1).decode("ascii") if match else None


# Responses that mean "this bucket lives in another region".
REGION_ERRORS = {
    301: ("PermanentRedirect", None),
    307: ("TemporaryRedirect", None),
    400: ("AuthorizationHeaderMalformed", "IllegalLocationConstraintException"),
}


def is_region_error(status, code, bucket_region_header):
    """True for S3's wrong-region answers (HEAD ones have no body/code)."""
    if status in (301, 307):
        return True
    if status == 400:
        if code is None:
            return bucket_region_header is not None
        return code in REGION_ERRORS[400]
    return False


def validated_bucket_region(value, bucket, home_region):
    """``value`` as a region of ``home_region``'s partition, else raise.

    A server answer naming a region that is not a region name, or one in
    another partition, is an error: credentials never leave the partition.
    """
    from .errors import RedirectRefused
    source = "S3's answer about bucket %r" % (bucket,)
    region = regions.validate_region(value, source)
    if regions.partition_of(region) is not regions.partition_of(home_region):
        raise RedirectRefused(
            "boto_sigv4_shim: S3 said bucket %r is in %r, outside the %s "
            "partition this connection signs for; not following (credentials "
            "stay in their partition)" % (
                bucket, region, regions.partition_of(home_region).name))
    return region
