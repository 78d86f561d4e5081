"""S3: every S3Connection signs with SigV4 for its region, at its region's host.

Wrapped (by ``_patching``):
- ``S3Connection.__init__``: works out host and region (see :func:`plan`)
  before boto's own constructor runs, and pins the signing region;
- ``S3Connection._required_auth_capability``: ``hmac-v4-s3`` (``anon`` for
  anonymous connections) for every connection the shim has planned;
- ``S3Connection.make_request``: each request goes to its bucket's region
  (cache, else the connection's region); on S3's wrong-region answers the
  region is learnt (``x-amz-bucket-region``, else the error's ``<Region>``,
  else a HEAD bucket), cached, and the request re-signed and sent once more to
  a host built from that region.  Server-given hosts (``Location``,
  ``<Endpoint>``) are never followed;
- ``S3Connection.create_bucket``: goes to the endpoint of ``location``;
- ``S3Connection.generate_url``: SigV4 presigned URLs for the bucket's real
  region and host, ``force_http``, ``expires_in_absolute``, ``versionId``.

Bucket regions learnt are kept per process (:mod:`bucket_regions`) and, when
the ``bucket_region_cache`` setting names a file, on disk across processes
(:mod:`disk_cache`; off by default).

Google Cloud Storage connections (``GSConnection``, ``gs://`` URIs) and hosts
listed in the ``sigv2_hosts`` setting are left entirely to boto.
"""
import logging
import re

from boto.s3.connection import (NoHostProvided, OrdinaryCallingFormat,
                                SubdomainCallingFormat)

from . import (bucket_regions, clock, compatible_hosts, disk_cache, regions,
               settings, signer)
from ._bind import bind
from .errors import RedirectRefused

log = logging.getLogger("boto_sigv4_shim")


class S3Plan(object):
    """Where an S3 connection goes and how it signs."""

    __slots__ = ("host", "region", "kind", "source", "sigv4", "dualstack")

    def __init__(self, host, region, kind, source, sigv4=True, dualstack=False):
        self.host = host
        self.region = region
        self.kind = kind
        self.source = source
        self.sigv4 = sigv4
        self.dualstack = dualstack

    @property
    def routes_buckets(self):
        """Public AWS endpoints follow each bucket to its region."""
        return self.sigv4 and self.kind in ("global", "regional")

    @property
    def partition(self):
        return regions.partition_of(self.region).name

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
    region a well-known store's host implies (:mod:`compatible_hosts`), else
    the resolved region (any ``[a-z0-9-]`` token there).
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
        return S3Plan(host, info.region, info.kind, source,
                      dualstack=info.dualstack)
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
    """Signing region for a non-AWS S3 host with no ``s3_custom_region``:
    the one a well-known store's host name implies (R2 ``auto``, Backblaze
    ``us-west-004``, ... see :mod:`compatible_hosts`), else the resolution
    chain (any ``[a-z0-9-]`` token there), else us-east-1."""
    inferred = compatible_hosts.signing_region_for(host)
    if inferred is not None:
        log.debug("S3-compatible host %r (%s): signing for region %r",
                  host, inferred[1], inferred[0])
        return inferred[0]
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
    if shim_plan is None:
        return wrapped(*args, **kwargs)
    if getattr(instance, "anon", False):
        return ["anon"]
    if not shim_plan.sigv4:
        # An opted-out host gets SigV2 even where boto itself would guess
        # SigV4 from the name (".eu-central", ".cn-" in the host).
        return ["s3"]
    return ["hmac-v4-s3"]


# -- per-bucket routing -------------------------------------------------------

_DNS_BUCKET = re.compile(r"\A[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")


def _name(value):
    return getattr(value, "name", value) or ""


def _path_style(conn, bucket, secure):
    """True when ``bucket`` must be addressed path-style: the connection asks
    for it, the name is not a DNS label chain, or it has dots over HTTPS
    (``*.s3.amazonaws.com`` certificates cannot match it)."""
    if isinstance(conn.calling_format, OrdinaryCallingFormat):
        return True
    if not bucket:
        return False
    if not _DNS_BUCKET.match(bucket) or ".." in bucket or \
            re.match(r"\A\d+\.\d+\.\d+\.\d+\Z", bucket):
        return True
    return secure and "." in bucket


def _routable(conn):
    shim_plan = getattr(conn, "_shim_s3", None)
    if shim_plan is None or not shim_plan.routes_buckets:
        return None
    if not isinstance(conn.calling_format, (OrdinaryCallingFormat,
                                            SubdomainCallingFormat)):
        return None  # VHostCallingFormat & co: the bucket is the host
    return shim_plan


def _server(conn, region, shim_plan, port=None):
    host = regions.s3_host(region, dualstack=shim_plan.dualstack)
    if region == shim_plan.region and regions.parse_s3_host(
            conn.host).kind == shim_plan.kind:
        host = conn.host.split(":")[0]  # the endpoint the user named
    port = port or conn.port
    if port and port not in (80, 443):
        return "%s:%d" % (host, port)
    return host


def _address(conn, shim_plan, region, bucket, key, secure, port=None):
    """(host, path, auth_path) for bucket/key in ``region``."""
    server = _server(conn, region, shim_plan, port)
    fmt = OrdinaryCallingFormat() if _path_style(conn, bucket, secure) \
        else SubdomainCallingFormat()
    return (fmt.build_host(server, bucket), fmt.build_path_base(bucket, key),
            fmt.build_auth_path(bucket, key))


def _drop_location(response):
    for name in ("location", "Location"):
        try:
            del response.msg[name]
        except (KeyError, TypeError, AttributeError):
            pass


class _SenderFailed(Exception):
    """A caller's sender (boto's Key upload) raised on an error answer; carries
    that answer so a wrong-region reply can still be learnt from."""

    def __init__(self, error, response):
        Exception.__init__(self, str(error))
        self.error = error
        self.response = response


def _call_sender(user_sender, http_conn, method, path, data, headers):
    """Run boto's own sender (Key.send_file's), keeping the response it read:
    it raises S3ResponseError itself on an error answer."""
    from boto.exception import S3ResponseError
    responses = []
    original = http_conn.getresponse

    def getresponse(*args, **kwargs):
        responses.append(original(*args, **kwargs))
        return responses[-1]

    http_conn.getresponse = getresponse
    try:
        return user_sender(http_conn, method, path, data, headers)
    except S3ResponseError as error:
        if responses:
            raise _SenderFailed(error, responses[-1])
        raise
    finally:
        del http_conn.getresponse


def _guarded_sender(conn, user_sender, follow_same_host=False):
    """A sender for boto's ``_mexe`` that never lets it follow a server-given
    host: a 3xx ``Location`` is removed (public endpoints: the region logic
    builds the next host itself), or for other hosts refused unless it points
    back at the configured host."""

    def sender(http_conn, method, path, data, headers):
        if user_sender is not None:
            response = _call_sender(user_sender, http_conn, method, path, data,
                                    headers)
        else:
            http_conn.request(method, path, data, headers)
            response = http_conn.getresponse()
        location = response.getheader("location")
        if location and 300 <= response.status < 400:
            if follow_same_host and _same_host(location, conn.host):
                return response
            if not follow_same_host:
                _drop_location(response)
                return response
            response.read()
            raise RedirectRefused(
                "boto_sigv4_shim: %s answered %d with a redirect to %r; not "
                "following it with your credentials (only %r is configured for "
                "this connection)" % (conn.host, response.status,
                                      location.split("?")[0], conn.host))
        return response

    return sender


def _same_host(location, host):
    netloc = location.split("://", 1)[-1].split("/", 1)[0].lower()
    return netloc.split(":")[0] == host.split(":")[0].lower()


def _send(conn, call, region, shim_plan):
    bucket, key = _name(call.get("bucket")), _name(call.get("key"))
    host, path, auth_path = _address(conn, shim_plan, region, bucket, key,
                                     conn.is_secure)
    query_args = call.get("query_args")
    if query_args:
        path += "?" + query_args
        auth_path += "?" + query_args
    req = conn.build_base_http_request(call["method"], path, auth_path, {},
                                       call.get("headers"), call.get("data", ""),
                                       host)
    req.shim_region = region
    return conn._mexe(req, _guarded_sender(conn, call.get("sender")),
                      call.get("override_num_retries"),
                      retry_handler=call.get("retry_handler"))


def _attempt(conn, call, region, shim_plan):
    """(response, body, error) of one try; ``error`` is the S3ResponseError a
    caller's sender raised (its answer is then ``response``)."""
    try:
        response = _send(conn, call, region, shim_plan)
    except _SenderFailed as failed:
        return failed.response, failed.error.body or b"", failed.error
    if response.status in (301, 307, 400) and call["method"] != "HEAD":
        return response, response.read(), None
    return response, b"", None


def learn_region(conn, shim_plan, response, body, bucket, tried_region):
    """The region S3's wrong-region answer points at, or None.

    The ``x-amz-bucket-region`` header first, then the error body's
    ``<Region>``, then a HEAD bucket.  Never a host from the answer.
    """
    found = response.getheader("x-amz-bucket-region") or \
        bucket_regions.region_from_body(body)
    if not found:
        head = _send(conn, {"method": "HEAD", "bucket": bucket,
                            "override_num_retries": 0}, tried_region, shim_plan)
        head.read()
        found = head.getheader("x-amz-bucket-region")
    if not found:
        return None
    return bucket_regions.validated_bucket_region(found, bucket,
                                                  shim_plan.region)


def _cached_region(partition, bucket):
    """The in-memory cache, read through to the optional disk cache."""
    region = bucket_regions.CACHE.get(partition, bucket)
    if region is None:
        region = disk_cache.lookup(partition, bucket)
        if region is not None:
            bucket_regions.CACHE.set(partition, bucket, region)
    return region


def _remember(partition, bucket, region):
    bucket_regions.CACHE.set(partition, bucket, region)
    disk_cache.store(partition, bucket, region)


def _bucket_region(shim_plan, bucket):
    if not bucket:
        return shim_plan.region
    return _cached_region(shim_plan.partition, bucket) or shim_plan.region


def make_request_wrapper(wrapped, instance, args, kwargs):
    shim_plan = _routable(instance)
    if shim_plan is None:
        own = getattr(instance, "_shim_s3", None)
        if own is None or own.kind == "sigv2":
            return wrapped(*args, **kwargs)
        call = bind(wrapped, args, kwargs)
        call["sender"] = _guarded_sender(instance, call.get("sender"),
                                         follow_same_host=True)
        try:
            return wrapped(**call)
        except _SenderFailed as failed:  # no region to learn off AWS
            raise failed.error
    call = bind(wrapped, args, kwargs)
    bucket = _name(call.get("bucket"))
    region = _bucket_region(shim_plan, bucket)
    response, body, error = _attempt(instance, call, region, shim_plan)
    if bucket and bucket_regions.is_region_error(
            response.status, bucket_regions.error_code(body),
            response.getheader("x-amz-bucket-region")):
        learnt = learn_region(instance, shim_plan, response, body, bucket,
                              region)
        if learnt is not None and learnt != region:
            _remember(shim_plan.partition, bucket, learnt)
            log.info("bucket %r is in %s, not %s: re-sending there", bucket,
                     learnt, region)
            return _send(instance, call, learnt, shim_plan)
    if error is not None:
        raise error
    return response


def create_bucket_wrapper(wrapped, instance, args, kwargs):
    shim_plan = _routable(instance)
    if shim_plan is None:
        return wrapped(*args, **kwargs)
    call = bind(wrapped, args, kwargs)
    location = call.get("location") or ""
    region = regions.validate_region(location, "the location= argument of "
                                     "create_bucket")
    if regions.partition_of(region) is not regions.partition_of(
            shim_plan.region):
        raise RedirectRefused(
            "boto_sigv4_shim: location=%r is in another partition than this "
            "connection's region %r; connect to that partition instead"
            % (location, shim_plan.region))
    if region == "us-east-1":
        call["location"] = ""  # S3 refuses an explicit us-east-1 constraint
    name = call["bucket_name"]
    previous = bucket_regions.CACHE.get(shim_plan.partition, name)
    bucket_regions.CACHE.set(shim_plan.partition, name, region)
    try:
        result = wrapped(**call)
    except Exception:
        if previous is None:
            bucket_regions.CACHE.forget(shim_plan.partition, name)
        else:
            bucket_regions.CACHE.set(shim_plan.partition, name, previous)
        raise
    disk_cache.store(shim_plan.partition, name, region)
    return result


def learn_bucket_region(conn, shim_plan, bucket):
    """Region of ``bucket`` for a presigned URL: cached, else one HEAD."""
    cached = _cached_region(shim_plan.partition, bucket)
    if cached:
        return cached
    response = _send(conn, {"method": "HEAD", "bucket": bucket,
                            "override_num_retries": 0}, shim_plan.region,
                     shim_plan)
    response.read()
    found = response.getheader("x-amz-bucket-region")
    if not found:
        return shim_plan.region
    region = bucket_regions.validated_bucket_region(found, bucket,
                                                    shim_plan.region)
    _remember(shim_plan.partition, bucket, region)
    return region


def generate_url_wrapper(wrapped, instance, args, kwargs):
    """Presigned (and unsigned, ``query_auth=False``) URLs for the bucket's
    own region and host."""
    shim_plan = getattr(instance, "_shim_s3", None)
    if shim_plan is None or not shim_plan.sigv4:
        return wrapped(*args, **kwargs)
    call = bind(wrapped, args, kwargs)
    signed = call["query_auth"] and not getattr(instance, "anon", False)
    routed = _routable(instance)
    if not signed and routed is None:
        return wrapped(*args, **kwargs)
    bucket, key = _name(call.get("bucket")), _name(call.get("key"))
    if call.get("force_http"):
        secure = False
        port = 80 if instance.port in (443, None) else instance.port
    else:
        secure, port = instance.is_secure, instance.port
    if routed is not None:
        region = learn_bucket_region(instance, routed, bucket) if bucket \
            else routed.region
        host, path, auth_path = _address(instance, routed, region, bucket, key,
                                         secure, port)
    else:
        region = shim_plan.region
        fmt = instance.calling_format
        server = instance.host if port in (80, 443) else "%s:%d" % (
            instance.host, port)
        host = fmt.build_host(server, bucket)
        path = fmt.build_path_base(bucket, key)
        auth_path = fmt.build_auth_path(bucket, key)
    params = {}
    if call.get("version_id") is not None:
        params["versionId"] = call["version_id"]
    params.update(call.get("response_headers") or {})
    if not signed:
        query = signer.canonical_query(list(params.items()))
        return "%s://%s%s%s" % ("https" if secure else "http",
                                signer.host_header(host, port, secure), path,
                                "?" + query if query else "")
    expires = call["expires_in"]
    if call.get("expires_in_absolute"):
        expires = int(expires - clock.now())
    req = instance.build_base_http_request(call["method"], path, auth_path,
                                           params, call.get("headers"), "",
                                           host)
    req.protocol = "https" if secure else "http"
    req.port = port
    req.shim_region = region
    return instance._auth_handler.presign(req, expires)
