"""boto 2's HTTPS, verified with an ``ssl.SSLContext``, direct and by proxy.

Used on Python 3 and on 2.7.9+ (the first 2.7 with ``ssl.SSLContext``; 2.7
therefore gets SNI and the standard host-name check too).  Older 2.7 keeps
boto's own code.  Imported only from post-import hooks on ``boto.connection``
and ``boto.https_connection`` (see :mod:`boto_sigv4_shim.compat`).

Certificates are always verified the same way:

* the context is ``ssl.create_default_context()``: CERT_REQUIRED, host-name
  checking on, SNI via ``server_hostname``;
* trusted CAs: boto's ``ca_certificates_file`` when it is configured (boto
  hands it to the connection as ``ca_certs``), otherwise the system trust
  store (``ca_certificates_file = system``, or not set: boto's bundled, 2018
  ``cacerts.txt`` that boto passes by default is then not used);
* client certificate: ``cert_file``/``key_file`` when boto has them;
* a failure raises :class:`CertificateVerificationError`, a subclass of
  boto's ``InvalidCertificateException`` naming the host (boto does not
  retry it); the ``ssl`` exception is kept as ``ssl_error`` and as the
  cause.  There is no fall-back to unverified TLS: S3's default
  ``validate_certs=None`` is taken as True, and an explicit
  ``https_validate_certificates = False`` gets what Python gives boto's
  plain ``HTTPSConnection`` then, its default (verifying) HTTPS context.

Proxies: ``proxy_ssl`` returns a :class:`ProxyTunnelHTTPSConnection` that
opens the CONNECT tunnel (bytes, ``Proxy-Authorization`` when
``proxy_user``/``proxy_pass`` are set) and verifies the *target* host, on
every (re)connect, and sends requests in origin form (``/path``, not
boto's ``https://host/path``) inside the tunnel.  Secure connections take their proxy from
``https_proxy``/``HTTPS_PROXY`` when the code passed none (before boto's
``http_proxy`` and the boto config ``proxy``); boto's ``no_proxy`` handling is
unchanged.
"""
import base64
import logging
import os
import socket
import ssl
import sys
import threading

import wrapt

import boto
from boto.https_connection import InvalidCertificateException

if sys.version_info[0] >= 3:
    import http.client as http_client
    from urllib.parse import unquote, urlsplit
else:  # Python 2.7.9+
    import httplib as http_client
    from urllib import unquote
    from urlparse import urlsplit

log = logging.getLogger("boto_sigv4_shim")

_DEFAULT_TIMEOUT = socket._GLOBAL_DEFAULT_TIMEOUT


class CertificateVerificationError(InvalidCertificateException):
    """The server's certificate failed verification for ``host``."""

    def __init__(self, host, reason, ssl_error=None):
        InvalidCertificateException.__init__(self, host, None, reason)
        self.ssl_error = ssl_error

    def __str__(self):
        return ("Host %s returned a certificate that failed verification: %s"
                % (self.host, self.reason))


# -- contexts ----------------------------------------------------------------

_contexts = {}
_contexts_lock = threading.Lock()


def boto_bundled_ca_file():
    connection = sys.modules.get("boto.connection")
    bundled = getattr(connection, "DEFAULT_CA_CERTS_FILE", None)
    if bundled is None:
        bundled = os.path.join(os.path.dirname(os.path.abspath(boto.__file__)),
                               "cacerts", "cacerts.txt")
    return bundled


def configured_ca_file():
    config = getattr(boto, "config", None)
    try:
        return config.get_value("Boto", "ca_certificates_file", None)
    except Exception:
        return None


def ca_file_to_use(ca_certs):
    """The CA file to trust, or None for the system trust store."""
    if not ca_certs:
        return None
    if (os.path.abspath(ca_certs) == os.path.abspath(boto_bundled_ca_file())
            and not configured_ca_file()):
        return None
    return ca_certs


def _default_https_context():
    factory = getattr(ssl, "_create_default_https_context",
                      ssl.create_default_context)
    return factory()


def ssl_context(ca_file=None, cert_file=None, key_file=None):
    """A (cached) verifying client context; ``ca_file`` None: the system
    trust store."""
    key = (ca_file, cert_file, key_file)
    if ca_file is None:
        key += (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    with _contexts_lock:
        context = _contexts.get(key)
        if context is None:
            context = ssl.create_default_context(cafile=ca_file)
            if cert_file:
                context.load_cert_chain(cert_file, key_file)
            _contexts[key] = context
    return context


def certificate_failure(error):
    """The reason text when ``error`` is a certificate failure, else None."""
    verify_error = getattr(ssl, "SSLCertVerificationError", None)
    if verify_error is not None and isinstance(error, verify_error):
        return str(error)
    if isinstance(error, ssl.CertificateError):  # 2.7, 3.6: host mismatch
        return str(error)
    if (isinstance(error, ssl.SSLError)
            and getattr(error, "reason", None) == "CERTIFICATE_VERIFY_FAILED"):
        return str(error)
    return None


def wrap_verified(sock, hostname, context):
    """TLS over ``sock`` for ``hostname``; certificate errors name the host."""
    try:
        return context.wrap_socket(sock, server_hostname=hostname)
    except Exception as error:
        reason = certificate_failure(error)
        if reason is None:
            raise
        failure = CertificateVerificationError(hostname, reason, error)
        failure.__cause__ = error
    raise failure


# -- https_ssl_context: CertValidatingHTTPSConnection.connect -----------------

def cert_validating_connect(wrapped, instance, args, kwargs):
    """CertValidatingHTTPSConnection.connect with an SSLContext."""
    conn = instance
    sock = socket.create_connection(
        (conn.host, conn.port), getattr(conn, "timeout", _DEFAULT_TIMEOUT),
        getattr(conn, "source_address", None))
    try:
        ca_file = ca_file_to_use(conn.ca_certs)
        log.debug("TLS to %s:%s, trusting %s", conn.host, conn.port,
                  ca_file or "the system trust store")
        context = ssl_context(ca_file, conn.cert_file, conn.key_file)
        conn.sock = wrap_verified(sock, conn.host, context)
    except BaseException:
        sock.close()
        raise


cert_validating_connect.boto_sigv4_shim_fix = "https_ssl_context"


# -- proxy_tunnel: AWSAuthConnection.proxy_ssl --------------------------------

def _native(text):
    if sys.version_info[0] >= 3 and isinstance(text, bytes):
        return text.decode("latin-1")
    return text


def basic_auth(user, password):
    credentials = "%s:%s" % (_native(user), _native(password))
    if not isinstance(credentials, bytes):
        credentials = credentials.encode("utf-8")
    return "Basic " + base64.b64encode(credentials).decode("ascii")


def _host_for_request(host):
    try:
        host.encode("ascii")
    except UnicodeError:
        host = host.encode("idna").decode("ascii")
    if ":" in host:  # IPv6 literal
        host = "[%s]" % host
    return host


def origin_form(url, host):
    """``https://host[:port]/p?q`` -> ``/p?q`` when it names ``host``."""
    for scheme in ("https://", "http://"):
        if url[:len(scheme)].lower() == scheme:
            rest = url[len(scheme):]
            authority, slash, path = rest.partition("/")
            name = authority.rsplit("@", 1)[-1]
            if name.startswith("["):
                name = name[1:].split("]", 1)[0]
            else:
                name = name.split(":", 1)[0]
            if name.lower() == host.lower():
                return "/" + path
    return url


class ProxyTunnelHTTPSConnection(http_client.HTTPConnection):
    """HTTPS to ``host:port`` through an HTTP proxy's CONNECT tunnel.

    Every ``connect()`` (also the automatic one after the server closed the
    connection) opens a new tunnel and verifies ``host``'s certificate.
    """

    default_port = 443

    def __init__(self, host, port, proxy_host, proxy_port, proxy_headers,
                 context, timeout=_DEFAULT_TIMEOUT, debuglevel=0):
        http_client.HTTPConnection.__init__(self, host, port, timeout=timeout)
        self.proxy_host = proxy_host
        self.proxy_port = int(proxy_port)
        self.proxy_headers = list(proxy_headers)
        self.context = context
        self.set_debuglevel(debuglevel)

    def putrequest(self, method, url, *args, **kwargs):
        # boto writes the absolute form (https://host/path) whenever a proxy
        # is used; inside the tunnel the origin server gets /path.
        url = origin_form(url, self.host)
        return http_client.HTTPConnection.putrequest(self, method, url, *args,
                                                     **kwargs)

    def connect(self):
        sock = socket.create_connection((self.proxy_host, self.proxy_port),
                                        self.timeout)
        try:
            self._open_tunnel(sock)
            self.sock = wrap_verified(sock, self.host, self.context)
        except BaseException:
            sock.close()
            raise

    def _open_tunnel(self, sock):
        target = "%s:%d" % (_host_for_request(self.host), self.port)
        lines = ["CONNECT %s HTTP/1.0" % target, "Host: %s" % target]
        lines.extend("%s: %s" % (name, value)
                     for name, value in self.proxy_headers)
        request = "\r\n".join(lines) + "\r\n\r\n"
        log.debug("proxy %s:%s: CONNECT %s", self.proxy_host, self.proxy_port,
                  target)
        if not isinstance(request, bytes):
            request = request.encode("latin-1")
        sock.sendall(request)
        response = http_client.HTTPResponse(sock, debuglevel=self.debuglevel,
                                            method="CONNECT")
        try:
            response.begin()
        finally:
            status, reason = response.status, response.reason
            response.close()
        if status != 200:
            # boto's own error for this case
            raise socket.error(-71, "Error talking to HTTP proxy %s:%s: %s (%s)"
                               % (self.proxy_host, self.proxy_port, status,
                                  reason))


def open_proxy_tunnel(conn, host=None, port=None):
    """AWSAuthConnection.proxy_ssl: a verified HTTPS connection via proxy."""
    if host and port:
        target_host, target_port = host, int(port)
    else:
        target_host, target_port = conn.host, int(conn.port)
    headers = [("User-Agent", getattr(sys.modules.get("boto.connection"),
                                      "UserAgent", boto.UserAgent))]
    if conn.proxy_user and conn.proxy_pass:
        headers.append(("Proxy-Authorization",
                        basic_auth(conn.proxy_user, conn.proxy_pass)))
    kwargs = conn.http_connection_kwargs
    if conn.https_validate_certificates is False:
        # What boto's direct path does then: Python's default HTTPS
        # context (verified against the system trust store, PEP 476).
        context = _default_https_context()
    else:
        context = ssl_context(ca_file_to_use(conn.ca_certificates_file),
                              kwargs.get("cert_file"), kwargs.get("key_file"))
    timeout = kwargs.get("timeout")
    tunnel = ProxyTunnelHTTPSConnection(
        target_host, target_port, conn.proxy, conn.proxy_port, headers,
        context, _DEFAULT_TIMEOUT if timeout is None else timeout,
        conn.debug)
    tunnel.connect()
    return tunnel


def proxy_ssl(wrapped, instance, args, kwargs):
    return open_proxy_tunnel(instance, *args, **kwargs)


proxy_ssl.boto_sigv4_shim_fix = "proxy_tunnel"


# -- validate_certs_none: AWSAuthConnection.new_http_connection ---------------

def new_http_connection(wrapped, instance, args, kwargs):
    if getattr(instance, "https_validate_certificates", True) is None:
        # S3Connection's default.  Python verifies HTTPS anyway (PEP 476);
        # this makes boto take its verifying path (ours).
        instance.https_validate_certificates = True
    return wrapped(*args, **kwargs)


new_http_connection.boto_sigv4_shim_fix = "validate_certs_none"


# -- https_proxy_env: AWSAuthConnection.handle_proxy ---------------------------

def parse_proxy_url(url):
    """(host, port, user, password) from a proxy URL, or None."""
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    if scheme == "https":
        log.warning("proxy %s: boto speaks plain HTTP (CONNECT) to proxies; "
                    "using it as http://%s", parts.hostname, parts.netloc)
    if port is None:
        port = 443 if scheme == "https" else 80
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return parts.hostname, port, user, password


def _proxy_args(proxy=None, proxy_port=None, proxy_user=None,
                proxy_pass=None):
    return proxy, proxy_user, proxy_pass


def https_proxy_from_env(conn, proxy, proxy_user, proxy_pass, environ=None):
    environ = os.environ if environ is None else environ
    if proxy or not getattr(conn, "is_secure", False):
        return
    url = environ.get("https_proxy") or environ.get("HTTPS_PROXY")
    if not url:
        return
    parsed = parse_proxy_url(url)
    if parsed is None:
        log.warning("ignoring unusable https_proxy value %r", url)
        return
    host, port, user, password = parsed
    conn.proxy, conn.proxy_port = host, port
    conn.proxy_user = user if user is not None else proxy_user
    conn.proxy_pass = password if password is not None else proxy_pass
    conn.use_proxy = True
    log.debug("HTTPS via proxy %s:%s (https_proxy)", host, port)


def handle_proxy(wrapped, instance, args, kwargs):
    result = wrapped(*args, **kwargs)
    https_proxy_from_env(instance, *_proxy_args(*args, **kwargs))
    return result


handle_proxy.boto_sigv4_shim_fix = "https_proxy_env"


# -- proxy_auth_header: AWSAuthConnection.get_proxy_auth_header -----------------

def get_proxy_auth_header(wrapped, instance, args, kwargs):
    return {"Proxy-Authorization": basic_auth(instance.proxy_user,
                                              instance.proxy_pass)}


get_proxy_auth_header.boto_sigv4_shim_fix = "proxy_auth_header"


# -- hooks ---------------------------------------------------------------------

def _wrap_once(owner, attribute, wrapper):
    current = vars(owner).get(attribute)
    if current is None:
        log.warning("compat fix %s: %s.%s not found; not applied",
                    wrapper.boto_sigv4_shim_fix, owner.__name__, attribute)
        return False
    if getattr(getattr(current, "_self_wrapper", None), "boto_sigv4_shim_fix",
               None) == wrapper.boto_sigv4_shim_fix:
        return False
    setattr(owner, attribute, wrapt.FunctionWrapper(current, wrapper))
    log.debug("compat fix %s applied to %s.%s", wrapper.boto_sigv4_shim_fix,
              owner.__name__, attribute)
    return True


def patch_https_connection(module):
    _wrap_once(module.CertValidatingHTTPSConnection, "connect",
               cert_validating_connect)


def patch_connection(module):
    cls = module.AWSAuthConnection
    _wrap_once(cls, "proxy_ssl", proxy_ssl)
    _wrap_once(cls, "handle_proxy", handle_proxy)
    _wrap_once(cls, "new_http_connection", new_http_connection)
    if sys.version_info[0] >= 3:
        _wrap_once(cls, "get_proxy_auth_header", get_proxy_auth_header)
