"""boto_sigv4_shim: unchanged boto 2 code signs with SigV4 for the right region.

Importing this package installs the shim (unless switched off: see
``settings.is_disabled``).  It does not import boto: the patches go in
through post-import hooks when boto's modules are imported, or at once for
those already imported.

Public API: :func:`install`, :func:`uninstall`, :func:`is_installed`,
``__version__``.
"""
import logging

from ._version import __version__
from .errors import InvalidRegionError, RedirectRefused, ShimWarning, UnknownHostError

log = logging.getLogger("boto_sigv4_shim")
if not log.handlers:
    log.addHandler(logging.NullHandler())

__all__ = ["install", "uninstall", "is_installed", "__version__",
           "ShimWarning", "InvalidRegionError", "UnknownHostError",
           "RedirectRefused"]


def install():
    """Make boto 2 sign with SigV4.  Idempotent; a no-op when switched off
    (only the import fixes for new Pythons still go in).

    Returns True when this call installed the shim, False when it was
    already installed or is switched off.
    """
    from . import compat, settings, _patching
    # The import fixes go in even when switched off: without them boto 2
    # cannot be imported at all on Python 3.12+, and the off switch means
    # "boto as boto signs", not "a program that no longer starts".
    compat.apply()
    why = settings.disabled_reason()
    if why:
        log.info("boto_sigv4_shim is switched off by %s; not installing", why)
        return False
    return _patching.install()


def uninstall():
    """Put boto's own signing and host behaviour back.

    Connections created afterwards behave exactly as without the shim.  The
    import fixes for new Pythons stay (boto may have been imported through
    them).  Returns True when this call removed the shim.
    """
    from . import _patching
    return _patching.uninstall()


def is_installed():
    from . import _patching
    return _patching.is_installed()


def _install_on_import():
    try:
        install()
    except Exception as error:  # never let an import break the program
        import warnings
        log.debug("install on import failed", exc_info=True)
        warnings.warn("boto_sigv4_shim could not install itself: %s" % (error,),
                      ShimWarning, stacklevel=3)


_install_on_import()
