"""Opt-in loading at interpreter start-up through a ``.pth`` file.

The pattern is coverage.py's "measuring sub-processes": a one-line ``.pth``
file in site-packages that does nothing unless an environment variable says
so::

    python -m boto_sigv4_shim autoload enable     # write the .pth
    BOTO_SIGV4_SHIM_AUTOLOAD=1 python legacy.py   # every such process loads it
    python -m boto_sigv4_shim autoload status     # where it is, is it active
    python -m boto_sigv4_shim autoload disable    # remove it

``--user`` works on the user site-packages instead of the environment's.

The ``.pth`` line (:func:`pth_line`) checks ``BOTO_SIGV4_SHIM_AUTOLOAD`` with
nothing but ``os.environ`` *before* it imports anything of this package, so
an installed but inactive autoload costs one dictionary lookup per process.
When the variable is a true value (1/true/yes/on) it imports this module and
calls :func:`startup`.  Nothing in that path imports boto, and nothing in it
may break interpreter start-up: every failure, including this package not
being importable at all, is caught and reported as a warning on stderr
through ``logging.getLogger("boto_sigv4_shim")``.

The off switch (``BOTO_SIGV4_SHIM_DISABLE=1`` or ``disable = true`` in the
``[boto_sigv4_shim]`` section of the boto config) wins: the package is then
imported but installs nothing.

Only the environment variable switches autoload on; an ``autoload`` option in
the boto config is not read, because reading it would mean importing the
package in every process that has the ``.pth`` file.
"""
import logging
import os
import sys

ENV_VAR = "BOTO_SIGV4_SHIM_AUTOLOAD"
PTH_NAME = "boto_sigv4_shim-autoload.pth"
_TRUE = ("1", "true", "yes", "on")

log = logging.getLogger("boto_sigv4_shim")

# One physical line: site.py executes .pth lines that start with "import".
# The env check needs only os; the package is imported only after it.  The
# line may run twice in one process (a venv's lib64 -> lib symlink makes
# site.py read the same site-packages twice), so it warns only once; the
# flag lives on the logger, the one object of ours that exists then.
# The import runs with warnings off: a failed install on import warns
# (ShimWarning), and startup() reports that same failure itself, once.
_PTH_CODE = (
    "if os.environ.get(%(env)r, '').strip().lower() in %(true)r:\n"
    " try:\n"
    "  import warnings as _bss_warnings\n"
    "  with _bss_warnings.catch_warnings():\n"
    "   _bss_warnings.simplefilter('ignore')\n"
    "   from boto_sigv4_shim.autoload import startup as _bss_startup\n"
    " except Exception:\n"
    "  import logging as _bss_logging\n"
    "  _bss_log = _bss_logging.getLogger('boto_sigv4_shim')\n"
    "  if not getattr(_bss_log, '_autoload_warned', False):\n"
    "   _bss_log._autoload_warned = True\n"
    "   _bss_handler = _bss_logging.StreamHandler()\n"
    "   _bss_handler.setFormatter(_bss_logging.Formatter("
    "'%%(name)s: %%(levelname)s: %%(message)s'))\n"
    "   _bss_log.addHandler(_bss_handler)\n"
    "   _bss_log.warning('autoload could not import boto_sigv4_shim "
    "(%%s: %%s); continuing without the shim', "
    "sys.exc_info()[0].__name__, sys.exc_info()[1])\n"
    "   _bss_log.removeHandler(_bss_handler)\n"
    " else:\n"
    "  _bss_startup()\n"
) % {"env": ENV_VAR, "true": _TRUE}


def pth_line():
    """The single line written to the ``.pth`` file (newline included)."""
    return "import os, sys; exec(%r)\n" % _PTH_CODE


def is_requested(environ=None):
    """True when ``BOTO_SIGV4_SHIM_AUTOLOAD`` is 1/true/yes/on."""
    environ = os.environ if environ is None else environ
    return environ.get(ENV_VAR, "").strip().lower() in _TRUE


def warn(msg, *args):
    """Log a warning that reaches stderr even when logging is unconfigured.

    The package puts a NullHandler on its logger, which hides warnings when
    the program has not configured logging (always so at start-up).  Then a
    stderr handler is added for this one record only.
    """
    has_handler = False
    logger = log
    while logger is not None:
        for handler in logger.handlers:
            if not isinstance(handler, logging.NullHandler):
                has_handler = True
        if not logger.propagate:
            break
        logger = logger.parent
    if has_handler:
        log.warning(msg, *args)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(name)s: %(levelname)s: %(message)s"))
    log.addHandler(handler)
    try:
        log.warning(msg, *args)
    finally:
        log.removeHandler(handler)


_started = None


def startup():
    """Called by the ``.pth`` line when autoload is requested.  Never raises.

    Importing this module has already imported the package, which installs
    the shim unless it is switched off; calling ``install()`` again is a
    no-op then, and surfaces an install error that the import only logged.
    """
    global _started
    if _started:
        return _started[0]
    _started = [False]
    try:
        import boto_sigv4_shim
        from boto_sigv4_shim import settings
        reason = settings.disabled_reason()
        if reason:
            log.debug("autoload: switched off by %s", reason)
            return False
        boto_sigv4_shim.install()
        log.debug("autoload: boto_sigv4_shim installed at start-up")
        _started[0] = boto_sigv4_shim.is_installed()
        return _started[0]
    except Exception:
        exc = sys.exc_info()[1]
        warn("autoload could not install boto_sigv4_shim (%s: %s); "
             "continuing without the shim", type(exc).__name__, exc)
        return False


# -- managing the .pth file ---------------------------------------------------

def site_dir(user=False):
    """The site-packages folder the ``.pth`` goes in.

    The running environment's ``purelib`` (a virtualenv's own site-packages
    inside one), or the user site-packages with ``user=True``.
    """
    if user:
        import site
        return site.getusersitepackages() if hasattr(
            site, "getusersitepackages") else site.USER_SITE
    import sysconfig
    return sysconfig.get_paths()["purelib"]


def pth_path(user=False):
    return os.path.join(site_dir(user), PTH_NAME)


def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return None


def enable(user=False):
    """Write the ``.pth`` file (idempotent); return its path."""
    path = pth_path(user)
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        os.makedirs(folder)
    if _read(path) != pth_line():
        tmp = path + ".tmp%d" % os.getpid()
        with open(tmp, "w") as handle:
            handle.write(pth_line())
        os.rename(tmp, path)
    return path


def disable(user=False):
    """Remove the ``.pth`` file; return (path, whether it was there)."""
    path = pth_path(user)
    try:
        os.remove(path)
    except OSError:
        if os.path.exists(path):
            raise
        return path, False
    return path, True


def status(user=False):
    """A dict describing the autoload state for this interpreter."""
    import site
    path = pth_path(user)
    content = _read(path)
    folder = os.path.dirname(path)
    info = {
        "path": path,
        "enabled": content is not None,
        "current": content == pth_line(),
        "requested": is_requested(),
        "processed": os.path.normcase(os.path.abspath(folder)) in [
            os.path.normcase(os.path.abspath(p)) for p in sys.path if p],
        "user_site_enabled": bool(getattr(site, "ENABLE_USER_SITE", False)),
        "disabled_by": None,
    }
    try:
        from boto_sigv4_shim import settings
        info["disabled_by"] = settings.disabled_reason()
    except Exception:
        info["disabled_by"] = None
    return info


def _format_status(info, user):
    lines = []
    if info["enabled"]:
        state = "enabled"
        if not info["current"]:
            state += " (stale .pth line; run 'autoload enable' again)"
    else:
        state = "disabled"
    lines.append("autoload: %s" % state)
    lines.append("pth file: %s%s" % (info["path"],
                                     "" if info["enabled"] else " (absent)"))
    lines.append("%s: %s" % (ENV_VAR, "set, processes load the shim"
                             if info["requested"] else
                             "not set, the .pth does nothing"))
    if info["disabled_by"]:
        lines.append("switched off by %s: loading is a no-op"
                     % info["disabled_by"])
    if user and not info["user_site_enabled"]:
        lines.append("warning: this interpreter does not read the user "
                     "site-packages (virtualenv or -s): the .pth is ignored")
    elif info["enabled"] and not info["processed"]:
        lines.append("warning: %s is not on sys.path: the .pth is ignored"
                     % os.path.dirname(info["path"]))
    return "\n".join(lines) + "\n"


AUTOLOAD_USAGE = ("usage: python -m boto_sigv4_shim autoload "
                  "{enable,disable,status} [--user]\n")


def cli(args):
    """``python -m boto_sigv4_shim autoload ...``; returns the exit status.

    ``status`` exits 0 when the ``.pth`` file is present, 1 when it is not.
    """
    args = list(args)
    user = "--user" in args
    args = [a for a in args if a != "--user"]
    if args in (["-h"], ["--help"]):
        sys.stdout.write(AUTOLOAD_USAGE + __doc__.split("\n\n", 1)[1])
        return 0
    if len(args) != 1 or args[0] not in ("enable", "disable", "status"):
        sys.stderr.write(AUTOLOAD_USAGE)
        sys.stderr.write("boto_sigv4_shim: error: autoload needs one of "
                         "enable, disable, status\n")
        return 2
    command = args[0]
    try:
        if command == "enable":
            path = enable(user)
            sys.stdout.write("autoload enabled: %s\n" % path)
            sys.stdout.write("processes load the shim when %s=1\n" % ENV_VAR)
            return 0
        if command == "disable":
            path, existed = disable(user)
            sys.stdout.write("autoload disabled: %s %s\n"
                             % (path, "removed" if existed else
                                "was not present"))
            return 0
    except (IOError, OSError):
        exc = sys.exc_info()[1]
        sys.stderr.write("boto_sigv4_shim: error: cannot %s autoload: %s\n"
                         "(use --user, a virtualenv, or more privileges)\n"
                         % (command, exc))
        return 1
    info = status(user)
    sys.stdout.write(_format_status(info, user))
    return 0 if info["enabled"] else 1
