"""Run a Python program with boto_sigv4_shim installed.

    python -m boto_sigv4_shim [options] script.py [args...]
    python -m boto_sigv4_shim [options] -m package.module [args...]
    python -m boto_sigv4_shim autoload {enable,disable,status} [--user]

The model is ``python -m gevent.monkey``: importing this package installs the
shim (unless it is switched off), then the target runs as ``__main__`` the way
the interpreter itself would run it.  What was matched, checked empirically
against plain ``python`` on CPython 2.7, 3.6, 3.8, 3.9, 3.11 and 3.13:

* ``sys.argv`` is exactly the arguments from the target on; with ``-m`` it is
  ``['-m', args...]`` while the module is looked up (``['-c', ...]`` on 2.7,
  as the 2.7 interpreter does) and the module's file afterwards.
* ``sys.path[0]`` for a script is the script's folder with symlinks resolved
  (``dirname(realpath(script))``, every version); for a folder or zip file it
  is the argument as given, made absolute by joining it to the current
  folder on 3.9+ (not normalised: ``./d`` gives ``/cwd/./d``); with ``-m`` it
  stays what the interpreter put there for ``-m`` (``''`` on 2.7 and 3.6, the
  current folder on 3.7+).  Under ``-I`` (3.4+) / ``-P`` (3.11+) nothing is
  put there, as plain python does.
* ``__file__`` of a script is the argument as given up to 3.8 and
  ``os.getcwd() + '/' + argument`` (again not normalised) from 3.9 on.  The
  ``__main__`` namespace has the same names as under plain python: a fresh
  module replaces ``sys.modules['__main__']`` for good (not runpy's
  temporary module, whose globals Python 2 clears once ``run_path``
  returns, breaking atexit handlers and threads), with ``__loader__`` a
  ``SourceFileLoader`` (3.x), ``__package__`` None, ``__cached__`` None, and
  ``__file__``/``__cached__`` removed once the script finishes, as
  ``PyRun_SimpleFile`` does.  Compiled ``.pyc`` scripts run too.
* Folders, zip files and ``-m`` go through ``runpy._run_module_as_main`` --
  the very function the interpreter calls for them -- so ``__spec__``,
  ``__package__``, relative imports, ``-m package`` with ``__main__.py`` and
  the error texts ("No module named x", exit 1; "can't find '__main__'
  module in ...", exit 1) are the interpreter's own.
* A missing script prints ``<argv0 of the interpreter>: can't open file
  'path': [Errno 2] No such file or directory`` and exits 2; the path is as
  given up to 3.8 and absolute from 3.9 (quoted with ``repr`` on 3.x,
  literally quoted on 2.7).  The interpreter's argv0 is ``sys.orig_argv[0]``
  (3.10+), else the first word of /proc/self/cmdline, else sys.executable.
* ``SystemExit`` is never caught: exit codes, ``sys.exit('message')`` and
  ``sys.exit(None)`` are the interpreter's own handling.  Any other uncaught
  exception (KeyboardInterrupt included) is re-raised to the interpreter; a
  one-shot ``sys.excepthook`` wrapper hands the current hook the traceback
  from the target's first frame on (for ``-m``, from runpy's
  ``_run_module_as_main``, exactly like plain ``python -m``), and sets
  ``__traceback__``/``sys.last_traceback`` to it.  So the exit status is 1,
  and an uncaught KeyboardInterrupt ends the process by SIGINT on 3.8+ as
  the interpreter does.
* stdin, stdout and stderr are left alone.  ``-`` as the script reads the
  program from stdin, as ``python -`` does (``__file__`` '<stdin>',
  ``sys.path[0]`` ''), but to EOF even from a terminal: no interactive
  prompt.

Known differences that no in-process runner avoids: the target's outermost
frame has the runner's frames behind it (``sys._getframe().f_back`` and
``traceback.print_stack()`` see them), ``boto_sigv4_shim`` (and wrapt) are
in ``sys.modules``, and multiprocessing "spawn" children re-run the main
module without the runner (set BOTO_SIGV4_SHIM_AUTOLOAD or use
sitecustomize for those).
"""
import logging
import os
import sys
import types

import boto_sigv4_shim

if __name__ == "__main__":
    # Like gevent.monkey: make "import boto_sigv4_shim.__main__" find this
    # module instead of importing a second copy (this also keeps the
    # runner's globals alive once the target has replaced __main__).
    sys.modules["boto_sigv4_shim.__main__"] = sys.modules[__name__]
    setattr(boto_sigv4_shim, "__main__", sys.modules[__name__])

log = logging.getLogger("boto_sigv4_shim")

PY2 = sys.version_info[0] == 2

USAGE = """\
usage: python -m boto_sigv4_shim [options] script.py [args ...]
       python -m boto_sigv4_shim [options] -m module [args ...]
       python -m boto_sigv4_shim autoload {enable,disable,status} [--user]
"""

HELP = USAGE + """
Run a Python program (a script, a folder or zip with __main__.py, or a module
with -m) with boto_sigv4_shim installed, so unchanged boto 2 code signs its
requests with AWS Signature Version 4.  The program sees the same sys.argv,
sys.path[0], __main__ module, exit status and tracebacks as under plain
python.

options:
  -h, --help       show this help and exit
  --version        print "boto_sigv4_shim <version>" and exit
  --region REGION  region for connections whose call site names none
                   (sets BOTO_SIGV4_SHIM_REGION for the program)
  -v, --verbose    log the shim's INFO and DEBUG messages to stderr
  --               end of options: the next argument is the script, even if
                   it starts with "-" or is named "autoload"
  -m module        run a module as a script, like python -m (ends options)

autoload (opt-in loading at interpreter start-up through a .pth file):
  autoload enable   write boto_sigv4_shim-autoload.pth into this
                    environment's site-packages (--user: user site-packages)
  autoload disable  remove it
  autoload status   show where it is and whether it is active
                    (exit status 0 when the .pth file is present, 1 if not)
  The .pth file does nothing unless BOTO_SIGV4_SHIM_AUTOLOAD=1 (or
  true/yes/on) is set in the environment of the process.  A script named
  "autoload" runs as "./autoload" or after "--".

environment:
  BOTO_SIGV4_SHIM_DISABLE=1 (or "disable = true" in the [boto_sigv4_shim]
  section of the boto config) switches the shim off: the program then runs
  exactly as under plain python.
"""


class UsageError(Exception):
    pass


class Options(object):

    def __init__(self):
        self.help = False
        self.version = False
        self.verbose = False
        self.region = None
        self.command = None       # "run" or "autoload"
        self.module = None        # with -m
        self.args = []            # argv of the target / autoload arguments


def parse_args(args):
    """Options up to the target; everything after it belongs to the target."""
    opts = Options()
    args = list(args)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            i += 1
            if i >= len(args):
                raise UsageError("a script is needed after --")
            opts.command = "run"
            opts.args = args[i:]
            return opts
        if arg in ("-h", "--help"):
            opts.help = True
            return opts
        if arg == "--version":
            opts.version = True
            return opts
        if arg in ("-v", "--verbose"):
            opts.verbose = True
        elif arg == "--region" or arg.startswith("--region="):
            if arg == "--region":
                i += 1
                if i >= len(args):
                    raise UsageError("--region needs a value")
                value = args[i]
            else:
                value = arg[len("--region="):]
            if not value.strip():
                raise UsageError("--region needs a value")
            opts.region = value.strip()
        elif arg.startswith("-m"):
            module = arg[2:]
            if not module:
                i += 1
                if i >= len(args):
                    raise UsageError("-m needs a module name")
                module = args[i]
            opts.command = "run"
            opts.module = module
            opts.args = args[i + 1:]
            return opts
        elif arg.startswith("-") and arg != "-":
            raise UsageError("unknown option %s (use -- before a script "
                             "whose name starts with -)" % arg)
        elif arg == "autoload":
            opts.command = "autoload"
            opts.args = args[i + 1:]
            return opts
        else:
            opts.command = "run"
            opts.args = args[i:]
            return opts
        i += 1
    return opts


def _enable_verbose():
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(name)s: %(levelname)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    # The program may configure the root logger: do not print twice.
    log.propagate = False


def _ensure_installed():
    """install() was called by importing the package; make sure, loudly."""
    from boto_sigv4_shim import autoload, settings
    try:
        reason = settings.disabled_reason()
        if reason:
            log.info("switched off by %s; running the program without it",
                     reason)
            return False
        boto_sigv4_shim.install()
        installed = boto_sigv4_shim.is_installed()
    except Exception:
        exc = sys.exc_info()[1]
        autoload.warn("could not install boto_sigv4_shim (%s: %s); running "
                      "the program without it", type(exc).__name__, exc)
        return False
    if installed:
        log.info("boto_sigv4_shim %s installed", boto_sigv4_shim.__version__)
    return installed


def _absolute_package_path():
    # On Python 2 a package found through sys.path[0] == '' has a relative
    # __path__; the patches import submodules lazily, possibly after the
    # program has changed directory.
    path = getattr(boto_sigv4_shim, "__path__", None)
    if path is not None:
        path[:] = [os.path.abspath(p) for p in path]


# -- running the target -------------------------------------------------------

def _path0_was_inserted():
    """Did the interpreter put an entry at sys.path[0] for our own -m?"""
    if getattr(sys.flags, "safe_path", False):           # -P, 3.11+
        return False
    if getattr(sys.flags, "isolated", 0):                # -I, 3.4+
        return False
    return True


def _interpreter_name():
    """argv[0] of the interpreter process, as the interpreter prints it."""
    orig = getattr(sys, "orig_argv", None)
    if orig:
        return orig[0]
    try:
        with open("/proc/self/cmdline", "rb") as handle:
            first = handle.read().split(b"\0")[0]
        if first:
            return first if PY2 else os.fsdecode(first)
    except (IOError, OSError):
        pass
    return sys.executable


def _as_run_filename(path):
    """The script path the way the interpreter records it (3.9+: absolute)."""
    if sys.version_info >= (3, 9) and not os.path.isabs(path):
        cwd = os.getcwd()
        return cwd + ("" if cwd.endswith(os.sep) else os.sep) + path
    return path


def _is_importable(path):
    """A folder or zip file: the interpreter runs its __main__ via runpy."""
    if os.path.isdir(path):
        return True
    try:
        import zipimport
        zipimport.zipimporter(path)
    except Exception:
        return False
    return True


def _fresh_main():
    """A new __main__ module with what the interpreter's one starts with."""
    main = types.ModuleType("__main__")
    namespace = main.__dict__
    if PY2:
        import __builtin__ as builtins
    else:
        import builtins
    namespace["__builtins__"] = builtins
    namespace["__package__"] = None
    if (3, 6) <= sys.version_info < (3, 14):
        namespace["__annotations__"] = {}
    sys.modules["__main__"] = main
    return main


def _reraise_trimmed(keep=True):
    """Re-raise the current exception; have it printed from the target on.

    The traceback held by the exception at this point starts at the frame
    that caught it (the runner); ``tb_next`` is the target's first frame.
    The interpreter prints the exception through ``sys.excepthook`` once it
    has unwound the runner and runpy frames above: a one-shot wrapper of the
    then-current hook swaps the trimmed traceback in.
    """
    exc_type, exc, tb = sys.exc_info()
    trimmed = tb.tb_next if (keep and tb is not None) else None
    previous = sys.excepthook

    def excepthook(etype, value, full_tb):
        if value is exc:
            sys.excepthook = previous
            full_tb = trimmed
            if not PY2:
                value.__traceback__ = trimmed
            sys.last_traceback = trimmed
        previous(etype, value, full_tb)

    sys.excepthook = excepthook


def _cannot_open(shown, exc):
    errno = getattr(exc, "errno", None) or 0
    message = os.strerror(errno) if errno else str(exc)
    if PY2:
        text = "%s: can't open file '%s': [Errno %d] %s\n" % (
            _interpreter_name(), shown, errno, message)
    else:
        text = "%s: can't open file %r: [Errno %d] %s\n" % (
            _interpreter_name(), shown, errno, message)
    sys.stderr.write(text)
    sys.stderr.flush()
    return 2


def _read_code(filename, data):
    """Code object of a script file: source, or a compiled .pyc."""
    import marshal
    if PY2:
        import imp
        magic = imp.get_magic()
        header = 8
    else:
        import importlib.util
        magic = importlib.util.MAGIC_NUMBER
        header = 12 if sys.version_info < (3, 7) else 16
    if data[:4] == magic:
        return marshal.loads(data[header:]), True
    return compile(data, filename, "exec", 0, True), False


def run_script(path, argv):
    """Run ``path`` as ``python path argv...`` would; returns the exit status
    of a start-up error, or None once the script has run."""
    if path == "-":
        # "python -": the program is read from stdin (till EOF, also from a
        # terminal, where plain python would start its interactive prompt).
        filename = "<stdin>"
        stdin = getattr(sys.stdin, "buffer", sys.stdin)
        data = stdin.read()
        path0 = ""
    else:
        filename = _as_run_filename(path)
        if _is_importable(path):
            return run_importable(filename, argv)
        try:
            with open(filename, "rb") as handle:
                data = handle.read()
        except (IOError, OSError):
            return _cannot_open(filename, sys.exc_info()[1])
        path0 = os.path.dirname(os.path.realpath(filename))
    sys.argv[:] = argv
    if _path0_was_inserted():
        sys.path[0] = path0
    main = _fresh_main()
    namespace = main.__dict__
    namespace["__file__"] = filename
    if not PY2:
        namespace["__cached__"] = None
    if not PY2:
        from importlib import machinery
    try:
        code, compiled = _read_code(filename, data)
    except Exception:
        # A SyntaxError in the script: python prints no traceback lines.
        _forget_file(namespace)
        _reraise_trimmed(keep=False)
        raise
    del data
    if not PY2 and path == "-":
        namespace["__loader__"] = machinery.BuiltinImporter
    elif not PY2:
        loader = (machinery.SourcelessFileLoader if compiled
                  else machinery.SourceFileLoader)
        namespace["__loader__"] = loader("__main__", filename)
    try:
        exec(code, namespace)
    except SystemExit:
        raise
    except BaseException:
        _forget_file(namespace)
        _reraise_trimmed()
        raise
    _forget_file(namespace)
    return None


def _forget_file(namespace):
    namespace.pop("__file__", None)
    namespace.pop("__cached__", None)


def run_importable(path0, argv):
    """A folder or zip file with __main__.py, as ``python folder`` runs it."""
    sys.argv[:] = argv
    if _path0_was_inserted():
        sys.path[0] = path0
    else:
        sys.path.insert(0, path0)
    return _run_module_as_main("__main__", False)


def run_module(module, args):
    """``python -m module args...``: the interpreter's own code path."""
    sys.argv[:] = ["-c" if PY2 else "-m"] + list(args)
    return _run_module_as_main(module, True)


def _run_module_as_main(module, alter_argv):
    """runpy's own entry for ``-m`` and folders, in a fresh ``__main__``;
    SystemExit passes, other exceptions leave with the runner's frames
    trimmed from their traceback."""
    import runpy
    _fresh_main()
    try:
        runpy._run_module_as_main(module, alter_argv)
    except SystemExit:
        raise
    except BaseException:
        _reraise_trimmed()
        raise
    return None


def main(args=None):
    """The command line; returns an exit status, or None once the target ran.

    Exceptions and SystemExit of the target propagate (see the module
    docstring); they are the interpreter's to report.
    """
    args = sys.argv[1:] if args is None else list(args)
    try:
        opts = parse_args(args)
    except UsageError:
        sys.stderr.write(USAGE)
        sys.stderr.write("boto_sigv4_shim: error: %s\n" % sys.exc_info()[1])
        return 2
    if opts.help:
        sys.stdout.write(HELP)
        return 0
    if opts.version:
        sys.stdout.write("boto_sigv4_shim %s\n" % boto_sigv4_shim.__version__)
        return 0
    if opts.verbose:
        _enable_verbose()
    if opts.command == "autoload":
        from boto_sigv4_shim import autoload
        return autoload.cli(opts.args)
    if opts.command is None:
        sys.stderr.write(USAGE)
        sys.stderr.write("boto_sigv4_shim: error: no script or -m module "
                         "given\n")
        return 2
    if opts.region is not None:
        from boto_sigv4_shim import regions
        try:
            regions.validate_region(opts.region, "--region")
        except ValueError:
            sys.stderr.write(USAGE)
            sys.stderr.write("%s\n" % sys.exc_info()[1])  # names the shim
            return 2
        os.environ["BOTO_SIGV4_SHIM_REGION"] = opts.region
    _absolute_package_path()
    _ensure_installed()
    if opts.module is not None:
        log.debug("running module %s", opts.module)
        return run_module(opts.module, opts.args)
    log.debug("running %s", opts.args[0])
    return run_script(opts.args[0], opts.args)


if __name__ == "__main__":
    _status = main()
    if _status:
        sys.exit(_status)
