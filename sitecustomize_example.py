"""sitecustomize.py that loads boto_sigv4_shim in every Python process.

Copy this file, named ``sitecustomize.py``, into a folder that is on
``sys.path`` at start-up -- a folder listed in ``PYTHONPATH``, or the
environment's site-packages -- and every interpreter started there imports
boto_sigv4_shim, which installs the shim (it never imports boto itself; the
patches go in when the program imports boto).  Works on CPython 2.7 and
3.6+.

* It never breaks start-up: if the package cannot be imported (not installed
  in this environment, a broken dependency) or fails to install, a warning
  goes to stderr through ``logging.getLogger("boto_sigv4_shim")`` and the
  program runs without the shim.
* The off switch is honoured: ``BOTO_SIGV4_SHIM_DISABLE=1`` or
  ``disable = true`` in the ``[boto_sigv4_shim]`` section of the boto config
  makes the import install nothing.
* Chaining: Python imports only the first ``sitecustomize`` on ``sys.path``,
  so this one would shadow another one further down (Debian/Ubuntu ship one
  in ``/usr/lib/python3.X``, some distributions and tools add their own).
  After loading the shim this file looks for the next ``sitecustomize`` on
  ``sys.path`` after its own folder and runs it, under the module name
  ``_chained_sitecustomize``; an error in it is reported the way site.py
  reports one and does not stop start-up.  Set ``CHAIN = False`` below to
  turn that off.

An alternative that needs no file of your own is the opt-in ``.pth`` file:
``python -m boto_sigv4_shim autoload enable`` plus
``BOTO_SIGV4_SHIM_AUTOLOAD=1`` in the environment.
"""
import os
import sys

CHAIN = True


def _warn(msg, *args):
    import logging
    log = logging.getLogger("boto_sigv4_shim")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(name)s: %(levelname)s: %(message)s"))
    log.addHandler(handler)
    try:
        log.warning(msg, *args)
    finally:
        log.removeHandler(handler)


def _load_boto_sigv4_shim():
    try:
        import boto_sigv4_shim
        boto_sigv4_shim.install()   # a no-op when already installed or off
    except Exception:
        exc = sys.exc_info()[1]
        _warn("sitecustomize could not load boto_sigv4_shim (%s: %s); "
              "continuing without the shim", type(exc).__name__, exc)


def _next_sitecustomize():
    """Path of the sitecustomize after this file's folder on sys.path."""
    here = os.path.dirname(os.path.realpath(__file__))
    mine = os.path.realpath(__file__)
    seen = False
    for entry in list(sys.path):
        folder = os.path.realpath(entry or os.curdir)
        if not seen:
            seen = folder == here
            continue
        for name in ("sitecustomize.py", "sitecustomize.pyc"):
            candidate = os.path.join(folder, name)
            if os.path.isfile(candidate):
                if os.path.realpath(candidate) == mine:
                    break
                return candidate
    return None


def _chain():
    try:
        path = _next_sitecustomize()
        if path is None:
            return
        import types
        module = types.ModuleType("_chained_sitecustomize")
        module.__file__ = path
        sys.modules["_chained_sitecustomize"] = module
        if path.endswith(".pyc"):
            import marshal
            with open(path, "rb") as handle:
                data = handle.read()
            header = 8 if sys.version_info[0] == 2 else (
                12 if sys.version_info < (3, 7) else 16)
            code = marshal.loads(data[header:])
        else:
            with open(path, "rb") as handle:
                code = compile(handle.read(), path, "exec", 0, True)
        exec(code, module.__dict__)
    except Exception:
        # What site.py does with a failing sitecustomize: report, go on.
        import traceback
        exc = sys.exc_info()[1]
        sys.stderr.write("Error in chained sitecustomize; set "
                         "PYTHONVERBOSE for traceback:\n%s: %s\n"
                         % (type(exc).__name__, exc))
        if sys.flags.verbose:
            traceback.print_exc()


_load_boto_sigv4_shim()
if CHAIN:
    _chain()
