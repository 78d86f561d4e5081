"""A throw-away certificate authority for the loopback AWS stand-in.

:func:`make_certs` writes one CA and ONE server certificate whose subject
alternative names cover every public AWS host name the tests use (S3 in all
its forms, EC2 and the query services, for every region of
:data:`boto_sigv4_shim.regions.KNOWN_REGIONS` plus a not-yet-opened region).
One certificate for everything means clients that send no SNI -- boto 2 on
Python 2.7 wraps sockets without ``server_hostname`` -- still validate.

:func:`make_wrong_host_cert` and :func:`make_untrusted_certs` give the
certificates TLS-failure tests need: a name mismatch, and an unknown CA.
"""
import os

import trustme

from boto_sigv4_shim.regions import KNOWN_REGIONS, partition_of

# A region no SDK knows yet: the shim must handle regions by their form.
FUTURE_REGION = "ap-future-9"
QUERY_SERVICES = ("ec2", "autoscaling", "elasticloadbalancing", "monitoring",
                  "sts")
WRONG_HOST = "wrong.example.test"


class CertFiles(object):
    """Paths of a CA certificate, a server certificate chain and its key."""

    def __init__(self, ca, cert_chain, key, names):
        self.ca = ca                  # PEM of the CA clients should trust
        self.cert_chain = cert_chain  # server certificate + CA, PEM
        self.key = key                # server private key, PEM
        self.names = tuple(names)     # the names the server certificate holds

    def __repr__(self):
        return "CertFiles(ca=%r, cert_chain=%r, key=%r, %d names)" % (
            self.ca, self.cert_chain, self.key, len(self.names))


def region_names(region):
    """The host names of one region's S3, EC2 and query endpoints."""
    suffix = partition_of(region).dns_suffix
    names = []
    for prefix in ("s3.%s", "s3.dualstack.%s"):
        host = prefix % region + "." + suffix
        names.extend([host, "*." + host])
    if suffix == "amazonaws.com":
        host = "s3-%s.amazonaws.com" % region
        names.extend([host, "*." + host])
    for service in QUERY_SERVICES:
        names.append("%s.%s.%s" % (service, region, suffix))
    return names


def aws_names(extra_names=()):
    """Every name the server certificate carries, without duplicates."""
    names = ["localhost", "127.0.0.1", "s3.amazonaws.com",
             "*.s3.amazonaws.com", "sts.amazonaws.com"]
    for region in tuple(KNOWN_REGIONS) + (FUTURE_REGION,):
        names.extend(region_names(region))
    names.extend(extra_names)
    seen = set()
    unique = []
    for name in names:
        if name not in seen:
            seen.add(name)
            unique.append(name)
    return unique


def _new_ca():
    # RSA: the most widely supported key type, for the oldest clients.
    return trustme.CA(key_type=trustme.KeyType.RSA)


def _write(ca, names, directory, prefix=""):
    """Issue a certificate for ``names`` from ``ca`` and write the files."""
    if not os.path.isdir(directory):
        os.makedirs(directory)
    cert = ca.issue_cert(*names)
    paths = CertFiles(os.path.join(directory, prefix + "ca.pem"),
                      os.path.join(directory, prefix + "server.pem"),
                      os.path.join(directory, prefix + "server.key"),
                      names)
    ca.cert_pem.write_to_path(paths.ca)
    with open(paths.cert_chain, "wb") as handle:
        for blob in cert.cert_chain_pems:
            handle.write(blob.bytes())
    cert.private_key_pem.write_to_path(paths.key)
    return paths


# The CA of the last make_certs() call, per directory, so that
# make_wrong_host_cert() can issue from the same CA.
_CAS = {}


def make_certs(directory, extra_names=()):
    """Create the test CA and the all-names server certificate in ``directory``.

    Writes ``ca.pem``, ``server.pem`` (chain) and ``server.key``; returns a
    :class:`CertFiles`.
    """
    ca = _new_ca()
    _CAS[os.path.abspath(directory)] = ca
    return _write(ca, aws_names(extra_names), directory)


def make_wrong_host_cert(directory):
    """A certificate for ``wrong.example.test`` only, from the SAME CA.

    ``directory`` is the one :func:`make_certs` wrote; files get the prefix
    ``wrong-``.  Its ``ca`` is the trusted test CA.
    """
    ca = _CAS.get(os.path.abspath(directory))
    if ca is None:
        raise ValueError("make_certs(%r) must run first" % (directory,))
    return _write(ca, [WRONG_HOST], directory, prefix="wrong-")


def make_untrusted_certs(directory):
    """A certificate for all the AWS names from a DIFFERENT, untrusted CA.

    Files get the prefix ``untrusted-``; its ``ca`` is that other CA (which
    clients configured with the test CA do not trust).
    """
    return _write(_new_ca(), aws_names(), directory, prefix="untrusted-")
