"""The part of the ``imp`` module boto 2 uses, for Pythons without it (3.12+).

``imp`` was removed in Python 3.12.  ``boto.plugin`` (loading the files of a
configured ``[Plugin] plugin_directory``) and ``boto.pyami.launch_ami`` import
it; :mod:`boto_sigv4_shim._compat_import` binds their ``imp`` to this module.

The functions follow CPython 3.11's ``Lib/imp.py`` (the reference semantics):
``find_module`` searches the same places in the same order and returns the
same ``(file, pathname, (suffix, mode, type))`` triple; ``load_module``
dispatches on the type the same way; ``load_source`` executes a file as module
``name``, registers it in ``sys.modules`` and, when a module of that name is
already there, re-executes the file into it (as ``imp`` did).  Only public
``importlib`` API is used, so no DeprecationWarning is raised.
"""
import importlib
import importlib.machinery as machinery
import importlib.util
import os
import sys
import tokenize

SEARCH_ERROR = 0
PY_SOURCE = 1
PY_COMPILED = 2
C_EXTENSION = 3
PY_RESOURCE = 4
PKG_DIRECTORY = 5
C_BUILTIN = 6
PY_FROZEN = 7
PY_CODERESOURCE = 8
IMP_HOOK = 9

__all__ = ["find_module", "load_module", "load_source", "load_compiled",
           "load_package", "load_dynamic", "get_suffixes", "is_builtin",
           "is_frozen", "PY_SOURCE", "PY_COMPILED", "C_EXTENSION",
           "PKG_DIRECTORY", "C_BUILTIN", "PY_FROZEN"]


def get_suffixes():
    extensions = [(s, "rb", C_EXTENSION) for s in machinery.EXTENSION_SUFFIXES]
    source = [(s, "r", PY_SOURCE) for s in machinery.SOURCE_SUFFIXES]
    bytecode = [(s, "rb", PY_COMPILED) for s in machinery.BYTECODE_SUFFIXES]
    return extensions + source + bytecode


def is_builtin(name):
    return 1 if name in sys.builtin_module_names else 0


def is_frozen(name):
    return machinery.FrozenImporter.find_spec(name) is not None


def find_module(name, path=None):
    """Search for module ``name`` in ``path`` (default ``sys.path``)."""
    if not isinstance(name, str):
        raise TypeError("'name' must be a str, not %s" % type(name))
    if not isinstance(path, (type(None), list)):
        raise RuntimeError("'path' must be None or a list, not %s"
                           % type(path))
    if path is None:
        if is_builtin(name):
            return None, None, ("", "", C_BUILTIN)
        if is_frozen(name):
            return None, None, ("", "", PY_FROZEN)
        path = sys.path
    for entry in path:
        package_directory = os.path.join(entry, name)
        for suffix in [".py", machinery.BYTECODE_SUFFIXES[0]]:
            if os.path.isfile(os.path.join(package_directory,
                                           "__init__" + suffix)):
                return None, package_directory, ("", "", PKG_DIRECTORY)
        for suffix, mode, type_ in get_suffixes():
            file_path = os.path.join(entry, name + suffix)
            if os.path.isfile(file_path):
                break
        else:
            continue
        break
    else:
        raise ImportError("No module named %r" % (name,), name=name)
    encoding = None
    if "b" not in mode:
        with open(file_path, "rb") as file:
            encoding = tokenize.detect_encoding(file.readline)[0]
    file = open(file_path, mode, encoding=encoding)
    return file, file_path, (suffix, mode, type_)


def _load(spec):
    """Create, register and execute a new module (importlib's _load)."""
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(spec.name, None)
        raise
    # The module may have replaced itself in sys.modules.
    return sys.modules[spec.name]


def _exec(spec, module):
    """Execute ``spec`` again into the existing ``module`` (imp's reload)."""
    module.__spec__ = spec
    module.__loader__ = spec.loader
    if spec.has_location:
        module.__file__ = spec.origin
        if spec.cached is not None:
            module.__cached__ = spec.cached
    spec.loader.exec_module(module)
    return sys.modules.get(spec.name, module)


def _load_with(loader_class, name, pathname):
    loader = loader_class(name, pathname)
    spec = importlib.util.spec_from_file_location(name, pathname,
                                                  loader=loader)
    if name in sys.modules:
        return _exec(spec, sys.modules[name])
    return _load(spec)


def load_source(name, pathname, file=None):
    """Execute the source file ``pathname`` as module ``name``."""
    return _load_with(machinery.SourceFileLoader, name, pathname)


def load_compiled(name, pathname, file=None):
    """Execute the byte-compiled file ``pathname`` as module ``name``."""
    return _load_with(machinery.SourcelessFileLoader, name, pathname)


def load_dynamic(name, path, file=None):
    """Load the extension module at ``path`` as module ``name``."""
    return _load_with(machinery.ExtensionFileLoader, name, path)


def load_package(name, path):
    """Load the package directory ``path`` as package ``name``."""
    if os.path.isdir(path):
        extensions = (machinery.SOURCE_SUFFIXES[:] +
                      machinery.BYTECODE_SUFFIXES[:])
        for extension in extensions:
            init_path = os.path.join(path, "__init__" + extension)
            if os.path.exists(init_path):
                path = init_path
                break
        else:
            raise ValueError("%r is not a package" % (path,))
    spec = importlib.util.spec_from_file_location(
        name, path, submodule_search_locations=[])
    if name in sys.modules:
        return _exec(spec, sys.modules[name])
    return _load(spec)


def load_module(name, file, filename, details):
    """Load a module found by :func:`find_module`."""
    suffix, mode, type_ = details
    if mode and (not mode.startswith("r") or "+" in mode):
        raise ValueError("invalid file open mode %r" % (mode,))
    elif file is None and type_ in (PY_SOURCE, PY_COMPILED):
        raise ValueError("file object required for import (type code %s)"
                         % (type_,))
    elif type_ == PY_SOURCE:
        return load_source(name, filename, file)
    elif type_ == PY_COMPILED:
        return load_compiled(name, filename, file)
    elif type_ == C_EXTENSION:
        return load_dynamic(name, filename, file)
    elif type_ == PKG_DIRECTORY:
        return load_package(name, filename)
    elif type_ in (C_BUILTIN, PY_FROZEN):
        return importlib.import_module(name)
    raise ImportError("Don't know how to import %s (type code %s)"
                      % (name, type_), name=name)
