"""What boto 2.49 needs to import and work on new Pythons.

:func:`apply` is called before the shim installs (``import boto_sigv4_shim``)
and is idempotent and cheap: it imports no boto module, only puts a finder on
``sys.meta_path`` (3.10+) and registers wrapt post-import hooks; each fix goes
in when boto imports the module it concerns (or at once if that module is
already imported).  The fixes are permanent: ``uninstall()`` leaves them,
because boto may already have been imported through them, and none of them
changes what boto sends, only that it can run.

Import fixes (a meta-path finder, :mod:`._compat_import`)
=========================================================

six_moves_find_spec -- Python 3.12+
    boto's vendored six 1.9 registers a meta-path importer with only
    ``find_module``; 3.12 dropped that protocol, so ``import boto`` fails with
    ``No module named 'boto.vendored.six.moves'``.  Our finder answers
    ``find_spec`` for exactly the names six's importer knows and lets six build
    the modules.  On 2.7-3.11 six's own importer is left to do it.
imp_removed -- Python 3.12+ (boto.plugin, boto.pyami.launch_ami)
    ``imp`` was removed; these modules' ``import imp`` is bound to
    :mod:`._compat_imp`, a faithful port of the functions they call
    (``find_module``/``load_module``: ``[Plugin] plugin_directory`` works).
collections_abcs -- Python 3.10+ (boto.dynamodb.types, boto.mws.connection)
    The ABC aliases left ``collections`` in 3.10: ``from collections import
    Mapping`` (which breaks boto.dynamodb and boto.dynamodb2 at import) and
    ``collections.Mapping`` (boto.mws at call time) now name
    ``collections.abc``.
cgi_removed -- Python 3.13+ (boto.ecs.item)
    ``cgi`` was removed; the module's ``import cgi`` is bound to
    :mod:`._compat_cgi`, which has the one function it uses, ``escape``.

The import fixes compile boto's own source file after rewriting just those
import statements in its syntax tree, so line numbers and tracebacks stay
boto's.

Runtime fixes (wrapt post-import hooks)
=======================================

cgi_escape_removed -- Python 3.8 to 3.12 (boto.ecs.item)
    ``cgi.escape`` was removed in 3.8 while ``cgi`` stayed; the module's
    ``cgi`` global becomes :mod:`._compat_cgi` (3.13+: by the import fix).
config_readfp -- Python 3.12+ (boto.pyami.config.Config.readfp)
    ``ConfigParser.readfp`` was removed; boto calls it for ``Config(fp=...)``
    and ``AWS_CREDENTIAL_FILE``.  ``Config.readfp`` calls ``read_file``.
https_ssl_context -- Python 3, and 2.7.9+
(boto.https_connection.CertValidatingHTTPSConnection.connect)
    boto calls ``ssl.wrap_socket`` (deprecated, gone in 3.12; never sends
    SNI) and matches host names itself.  We verify with an
    ``ssl.SSLContext``: see :mod:`._compat_https`.
proxy_tunnel -- Python 3, and 2.7.9+
(boto.connection.AWSAuthConnection.proxy_ssl)
    boto's CONNECT tunnel writes ``str`` to the socket and passes ``strict=``
    to HTTPResponse (broken on every Python 3), verifies the connection's
    host instead of the tunnel's target, and its connection reconnects
    *directly* (no proxy, no TLS) after the socket closes.  Replaced by a
    connection that opens the tunnel (bytes, Proxy-Authorization) and
    verifies the target host on every connect.
validate_certs_none -- Python 3, and 2.7.9+
(boto.connection.AWSAuthConnection.new_http_connection)
    S3Connection defaults to ``validate_certs=None``, which sent boto to a
    plain ``HTTPSConnection`` (Python verifies it anyway, PEP 476, but
    ignoring ``ca_certificates_file`` and retrying certificate errors).  None
    now means True, so S3 takes the verifying path above as well.  An
    explicit False keeps boto's plain ``HTTPSConnection``, and through a
    proxy gets Python's default HTTPS context: never unverified TLS.
https_proxy_env -- Python 3, and 2.7.9+
(boto.connection.AWSAuthConnection.handle_proxy)
    boto reads only ``http_proxy``; HTTPS connections now honour the
    conventional ``https_proxy``/``HTTPS_PROXY`` (``no_proxy`` as before).
proxy_auth_header -- Python 3 (AWSAuthConnection.get_proxy_auth_header)
    boto base64-encodes a ``str`` (TypeError on Python 3) and leaves a
    newline in the header value.

On Python 2.7 the HTTPS fixes are used from 2.7.9 (which has
``ssl.SSLContext``; SNI and the standard host-name check come with it);
older 2.7 keeps boto's own code.
"""
import logging
import sys
import threading

log = logging.getLogger("boto_sigv4_shim")

_lock = threading.Lock()
_applied = False

PY = tuple(sys.version_info[:3])
HAS_SSL_CONTEXT = PY >= (3, 0) or PY >= (2, 7, 9)

_HTTPS = "boto_sigv4_shim._compat_https:"


def post_import_hooks(version=PY):
    """[(boto module, hook)] that apply on Python ``version``."""
    version = tuple(version)
    hooks = []
    if (3, 8) <= version[:2] < (3, 13):
        hooks.append(("boto.ecs.item", fix_ecs_cgi_escape))
    if version[:2] >= (3, 12):
        hooks.append(("boto.pyami.config", fix_config_readfp))
    if version[0] >= 3 or version >= (2, 7, 9):
        hooks.append(("boto.https_connection",
                      _HTTPS + "patch_https_connection"))
        hooks.append(("boto.connection", _HTTPS + "patch_connection"))
    return hooks


def apply():
    """Install the import fixes. Idempotent; they stay after uninstall()."""
    global _applied
    if _applied:
        return False
    with _lock:
        if _applied:
            return False
        _applied = True
        if PY >= (3, 10):
            from . import _compat_import
            _compat_import.install()
        import wrapt
        for module_name, hook in post_import_hooks():
            wrapt.register_post_import_hook(_never_raise(hook, module_name),
                                            module_name)
    log.debug("compat fixes registered for Python %s",
              ".".join(str(p) for p in PY))
    return True


def _never_raise(hook, module_name):
    """A hook that logs instead of breaking the import of boto."""

    def run(module):
        try:
            target = hook
            if not callable(target):
                import importlib
                name, func = target.split(":")
                target = getattr(importlib.import_module(name), func)
            target(module)
        except Exception:
            log.exception("boto_sigv4_shim: compat fix for %s failed",
                          module_name)

    return run


def fix_ecs_cgi_escape(module):
    """cgi_escape_removed: boto.ecs.item's ``cgi`` gets ``escape`` back."""
    cgi = getattr(module, "cgi", None)
    if cgi is None or getattr(cgi, "escape", None) is not None:
        return
    from . import _compat_cgi
    module.cgi = _compat_cgi
    log.debug("compat fix cgi_escape_removed applied to %s", module.__name__)


def _readfp(self, fp, filename=None):
    """ConfigParser.readfp, removed in Python 3.12: read_file."""
    return self._parser.read_file(fp, filename)


def fix_config_readfp(module):
    """config_readfp: boto.pyami.config.Config.readfp -> read_file."""
    config_class = getattr(module, "Config", None)
    if config_class is None or "readfp" in vars(config_class):
        return
    config_class.readfp = _readfp
    log.debug("compat fix config_readfp applied to %s.Config",
              module.__name__)
