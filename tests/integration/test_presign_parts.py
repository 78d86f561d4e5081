"""Presigned multipart parts, end to end (front + moto).

boto 2 could not put extra query parameters into a SigV4 presigned URL, so a
multipart part could not be presigned.  With the shim,
``conn.generate_url(expires, 'PUT', bucket, key,
response_headers={'partNumber': '1', 'uploadId': upload_id})`` is a URL that
uploads that part: initiate with boto, upload each part through its presigned
URL with plain urllib / http.client (no credentials), complete with boto, read
the object back byte for byte.
"""
import hashlib
import os
import ssl
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

import boto
import pytest

from boto_sigv4_shim import bucket_regions

try:
    import http.client as http_client
except ImportError:  # pragma: no cover
    import httplib as http_client

MIB = 1024 * 1024


def _context(test_certs):
    return ssl.create_default_context(cafile=test_certs.ca)


def _put_urllib(url, data, context):
    # urllib would add Content-Type: application/x-www-form-urlencoded
    request = Request(url, data=data, method="PUT",
                      headers={"Content-Type": "application/octet-stream"})
    response = urlopen(request, context=context, timeout=30)
    body = response.read()
    return response.status, response.headers.get("ETag"), body


def _put_http_client(url, data, context):
    parts = urlsplit(url)
    conn = http_client.HTTPSConnection(parts.hostname, parts.port or 443,
                                       context=context, timeout=30)
    try:
        target = parts.path + ("?" + parts.query if parts.query else "")
        conn.request("PUT", target, body=data,
                     headers={"Content-Length": str(len(data))})
        response = conn.getresponse()
        body = response.read()
        return response.status, response.getheader("ETag"), body
    finally:
        conn.close()


def _presigned_multipart(front, conn, bucket, key_name, parts, test_certs):
    upload = bucket.initiate_multipart_upload(key_name)
    context = _context(test_certs)
    etags = []
    for number, data in enumerate(parts, 1):
        url = conn.generate_url(600, "PUT", bucket.name, key_name,
                                response_headers={
                                    "partNumber": str(number),
                                    "uploadId": upload.id})
        query = urlsplit(url).query
        assert "partNumber=%d" % number in query
        assert "X-Amz-Signature=" in query
        put = _put_urllib if number % 2 else _put_http_client
        status, etag, body = put(url, data, context)
        assert status == 200, body
        assert etag.strip('"') == hashlib.md5(data).hexdigest()
        etags.append(etag)
        record = front.requests[-1]
        assert (record.method, record.auth, record.status) == \
            ("PUT", "sigv4-query", 200)
    # boto lists the parts the presigned PUTs uploaded and completes them
    listed = [(p.part_number, p.etag) for p in upload.get_all_parts()]
    assert listed == list(zip(range(1, len(parts) + 1), etags))
    upload.complete_upload()
    return bucket.get_key(key_name)


def test_presigned_parts_upload_and_complete(front, unique_bucket, test_certs):
    conn = boto.connect_s3()
    bucket = conn.create_bucket(unique_bucket())
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), b"tail bytes \x00\xff"]
    key = _presigned_multipart(front, conn, bucket, "big/object.bin", parts,
                               test_certs)
    assert key.size == sum(len(p) for p in parts)
    assert key.get_contents_as_string() == b"".join(parts)


def test_presigned_parts_in_another_region_with_unicode_key(front,
                                                             unique_bucket,
                                                             test_certs):
    """A bucket in another region, a key with reserved and non-ASCII
    characters: the part URLs are signed for the bucket's region and host."""
    region = "eu-central-1"
    name = unique_bucket()
    boto.s3.connect_to_region(region).create_bucket(name, location=region)
    bucket_regions.CACHE.clear()
    conn = boto.connect_s3()
    bucket = conn.get_bucket(name, validate=False)
    key_name = u"d\u00e9j\u00e0 vu/a+b %41 ?#[x] \u2603.bin"
    parts = [os.urandom(5 * MIB), b"last"]
    key = _presigned_multipart(front, conn, bucket, key_name, parts,
                               test_certs)
    assert key.get_contents_as_string() == b"".join(parts)
    part_puts = [r for r in front.requests if r.auth == "sigv4-query"]
    assert len(part_puts) == 2
    assert set(r.region for r in part_puts) == set([region])
    assert set(r.host for r in part_puts) == set(
        ["%s.s3.%s.amazonaws.com" % (name, region)])


def test_presigned_part_url_is_bound_to_its_part(front, unique_bucket,
                                                 test_certs):
    """The part number and upload id are signed: changing either in the URL
    is refused."""
    conn = boto.connect_s3()
    bucket = conn.create_bucket(unique_bucket())
    upload = bucket.initiate_multipart_upload("k")
    url = conn.generate_url(600, "PUT", bucket.name, "k",
                            response_headers={"partNumber": "1",
                                              "uploadId": upload.id})
    tampered = url.replace("partNumber=1", "partNumber=2")
    assert tampered != url
    with pytest.raises(Exception) as info:
        _put_urllib(tampered, b"data", _context(test_certs))
    assert getattr(info.value, "code", None) == 403
    status, _etag, _ = _put_urllib(url, b"data", _context(test_certs))
    assert status == 200
    upload.cancel_upload()
