"""AWS's published SigV4 test suite against the shim's pure signer.

The suite lives outside the repository, at ``../shared/aws4_testsuite`` beside
the checkout (see that folder's README); where it is absent, as in a user's
own clone, these tests skip saying so.
"""
import os

import pytest

from boto_sigv4_shim import signer

SUITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                     "..", "shared", "aws4_testsuite")
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def _cases():
    if not os.path.isdir(SUITE):
        return []
    found = []
    for root, _dirs, files in os.walk(SUITE):
        for name in files:
            if name.endswith(".req"):
                found.append(os.path.join(root, name[:-4]))
    return sorted(found)


CASES = _cases()


def _read(path):
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8").replace("\r\n", "\n")


def parse_request(text):
    """(method, raw path, raw query, [(name, value)], body) of a .req file."""
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    method, rest = lines[0].split(" ", 1)
    target = rest.rsplit(" ", 1)[0]
    path, _, query = target.partition("?")
    headers = []
    for line in lines[1:]:
        if not line.strip():
            continue
        if line[:1] in (" ", "\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + " " + line.strip())
        else:
            name, _, value = line.partition(":")
            headers.append((name, value))
    return method, path, query, headers, body


def sign_case(base):
    method, path, query, headers, body = parse_request(_read(base + ".req"))
    # Cases that sign a session token give it only in the signed request
    # (post-sts-header-after adds it after signing: not signed, not added).
    if "x-amz-security-token:" in _read(base + ".creq"):
        signed_headers = parse_request(_read(base + ".sreq"))[3]
        names = set(n.lower() for n, _ in headers)
        headers += [(n, v) for n, v in signed_headers
                    if n.lower() == "x-amz-security-token"
                    and n.lower() not in names]
    amz_date = [v for n, v in headers if n.lower() == "x-amz-date"][0]
    creq = signer.canonical_request(
        method, signer.service_canonical_path(path),
        signer.canonical_query(signer.parse_query(query)),
        *(signer.canonical_headers(headers) + (signer.payload_hash(body.encode("utf-8")),)))
    scope = signer.credential_scope(amz_date[:8], "us-east-1", "service")
    sts = signer.string_to_sign(amz_date, scope, creq)
    key = signer.derive_signing_key(SECRET_KEY, amz_date[:8], "us-east-1",
                                    "service")
    block, signed = signer.canonical_headers(headers)
    authz = signer.authorization_header(ACCESS_KEY, scope, signed,
                                        signer.signature(key, sts))
    return creq, sts, authz


@pytest.mark.skipif(not CASES, reason="AWS SigV4 test suite not found at %s "
                    "(it is shared material beside the checkout, not part of "
                    "the repository)" % SUITE)
@pytest.mark.parametrize("base", CASES, ids=lambda b: os.path.relpath(b, SUITE))
def test_aws_sigv4_test_vector(base):
    creq, sts, authz = sign_case(base)
    assert creq == _read(base + ".creq")
    assert sts == _read(base + ".sts")
    assert authz == _read(base + ".authz")
