"""One meta-path finder that lets boto 2.49 modules import on new Pythons.

Installed by :func:`boto_sigv4_shim.compat.apply` on Python 3.10+ only (on
2.7-3.9 nothing here is used).  It answers for a handful of ``boto.*`` names
and returns ``None`` for everything else, so the normal import system handles
every other module:

``boto.vendored.six.moves`` and its submodules (Python 3.12+)
    boto vendors six 1.9, whose meta-path importer has only the old
    ``find_module``/``load_module`` protocol; 3.12 no longer calls it.  We
    answer ``find_spec`` for the names that importer knows and let it build the
    module.  The importer is looked up on every call (``importlib.reload`` of
    six replaces it).  A real module reached through a six alias (``queue``
    for ``boto.vendored.six.moves.queue``) keeps its own ``__spec__``.

Selected boto modules, loaded from boto's own source with one import fixed
    The module's file is found the normal way, parsed, the offending import
    statement(s) rewritten in the syntax tree, and compiled from the same file
    name (tracebacks and line numbers stay boto's).  Nothing is written to
    ``__pycache__``.  A fix that finds nothing to change leaves the module as
    boto wrote it.  The rewrites are listed in :data:`SOURCE_FIXES`.

The finder sits just before ``importlib.machinery.PathFinder``, behind any
finder inserted at the front (wrapt's post-import hook finder among them, so
post-import hooks still fire for the modules we load).
"""
import importlib.machinery as machinery
import importlib.util
import logging
import sys
import threading

log = logging.getLogger("boto_sigv4_shim")

SIX = "boto.vendored.six"
_SIX_PREFIX = SIX + "."

# The ABCs Python 3.10 removed from the ``collections`` namespace.
COLLECTIONS_ABCS = frozenset((
    "Awaitable", "Coroutine", "AsyncIterable", "AsyncIterator",
    "AsyncGenerator", "Hashable", "Iterable", "Iterator", "Generator",
    "Reversible", "Sized", "Container", "Callable", "Collection", "Set",
    "MutableSet", "Mapping", "MutableMapping", "MappingView", "KeysView",
    "ItemsView", "ValuesView", "Sequence", "MutableSequence", "ByteString"))


# -- syntax-tree rewrites ------------------------------------------------------

def bind_import_to(old, new_package, new_module):
    """Rewrite ``import <old>`` as ``from <new_package> import <new_module> as
    <old>``: the module keeps its global name, bound to our replacement."""

    def rewrite(tree):
        import ast
        changed = 0
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if not isinstance(body, list):
                continue
            new_body = []
            for stmt in body:
                if (isinstance(stmt, ast.Import) and
                        any(a.name == old and a.asname is None
                            for a in stmt.names)):
                    rest = [a for a in stmt.names
                            if not (a.name == old and a.asname is None)]
                    if rest:
                        new_body.append(ast.copy_location(
                            ast.Import(names=rest), stmt))
                    replacement = ast.ImportFrom(
                        module=new_package,
                        names=[ast.alias(name=new_module, asname=old)],
                        level=0)
                    new_body.append(ast.copy_location(replacement, stmt))
                    changed += 1
                else:
                    new_body.append(stmt)
            node.body = new_body
        return changed

    rewrite.__name__ = "bind_import_%s" % old
    return rewrite


def collections_abcs(tree):
    """``from collections import Mapping`` -> ``from collections.abc import
    Mapping``; ``collections.Mapping`` -> ``collections.abc.Mapping`` (with
    ``import collections`` made ``import collections.abc``, which binds the
    same name and loads the submodule)."""
    import ast
    changed = 0
    for node in ast.walk(tree):
        if (isinstance(node, ast.ImportFrom) and node.module == "collections"
                and not node.level and node.names
                and all(a.name in COLLECTIONS_ABCS for a in node.names)):
            node.module = "collections.abc"
            changed += 1
        elif (isinstance(node, ast.Attribute) and node.attr in COLLECTIONS_ABCS
              and isinstance(node.value, ast.Name)
              and node.value.id == "collections"):
            node.value = ast.copy_location(
                ast.Attribute(value=node.value, attr="abc", ctx=ast.Load()),
                node.value)
            changed += 1
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "collections" and alias.asname is None:
                    alias.name = "collections.abc"
    return changed


# module -> [(fix name, first Python it applies to, rewrite)]
SOURCE_FIXES = {
    "boto.plugin": [
        ("imp_removed", (3, 12),
         bind_import_to("imp", "boto_sigv4_shim", "_compat_imp"))],
    "boto.pyami.launch_ami": [
        ("imp_removed", (3, 12),
         bind_import_to("imp", "boto_sigv4_shim", "_compat_imp"))],
    "boto.dynamodb.types": [
        ("collections_abcs", (3, 10), collections_abcs)],
    "boto.mws.connection": [
        ("collections_abcs", (3, 10), collections_abcs)],
    "boto.ecs.item": [
        ("cgi_removed", (3, 13),
         bind_import_to("cgi", "boto_sigv4_shim", "_compat_cgi"))],
}


def fixes_for(version):
    """SOURCE_FIXES restricted to what applies on Python ``version``."""
    selected = {}
    for module, fixes in SOURCE_FIXES.items():
        chosen = [(name, rewrite) for name, first, rewrite in fixes
                  if tuple(version[:2]) >= first]
        if chosen:
            selected[module] = chosen
    return selected


class FixedSourceLoader(machinery.SourceFileLoader):
    """boto's own source file, compiled after our syntax-tree rewrites."""

    def __init__(self, fullname, path, fixes):
        machinery.SourceFileLoader.__init__(self, fullname, path)
        self.fixes = fixes

    def get_code(self, fullname):
        import ast
        source = self.get_data(self.path)
        tree = ast.parse(source, self.path)
        for fix_name, rewrite in self.fixes:
            changed = rewrite(tree)
            if changed:
                log.debug("compat fix %s: %d change(s) in %s", fix_name,
                          changed, fullname)
            else:
                log.debug("compat fix %s: nothing to change in %s (%s)",
                          fix_name, fullname, self.path)
        ast.fix_missing_locations(tree)
        return compile(tree, self.path, "exec", dont_inherit=True)


# -- six.moves ---------------------------------------------------------------

def six_importer():
    """boto's vendored six meta-path importer, or None before six runs."""
    for finder in sys.meta_path:
        if (type(finder).__name__ == "_SixMetaPathImporter"
                and getattr(finder, "name", None) == SIX):
            return finder
    return getattr(sys.modules.get(SIX), "_importer", None)


class SixMovesLoader(object):
    """Adapter from six 1.9's ``load_module`` to ``create/exec_module``."""

    def __init__(self, importer):
        self.importer = importer
        self._own_spec = None

    def create_module(self, spec):
        module = self.importer.load_module(spec.name)
        own = getattr(module, "__spec__", None)
        if own is not None and own.name != spec.name:
            # A real module behind a six alias (``queue``): the import
            # system is about to set its __spec__ to ours; put it back.
            self._own_spec = own
        return module

    def exec_module(self, module):
        if self._own_spec is not None:
            module.__spec__ = self._own_spec


class BotoCompatFinder(object):
    """``find_spec`` for six.moves (3.12+) and the boto modules we fix."""

    boto_sigv4_shim_compat = True

    def __init__(self, source_fixes, six_moves):
        self.source_fixes = source_fixes
        self.six_moves = six_moves

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith("boto."):
            return None
        if self.six_moves and fullname.startswith(_SIX_PREFIX):
            return self._six_spec(fullname)
        fixes = self.source_fixes.get(fullname)
        if fixes:
            return self._fixed_spec(fullname, path, fixes)
        return None

    def _six_spec(self, fullname):
        importer = six_importer()
        if importer is None:
            return None
        known = getattr(importer, "known_modules", {}).get(fullname)
        if known is None:
            return None
        # six's own pseudo-packages (moves, moves.urllib) carry __path__;
        # an alias (MovedModule) is not looked into here, as that would
        # import its target.
        is_package = (isinstance(known, type(sys)) and
                      hasattr(known, "__path__"))
        return importlib.util.spec_from_loader(
            fullname, SixMovesLoader(importer), is_package=is_package)

    def _fixed_spec(self, fullname, path, fixes):
        spec = machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader,
                                          machinery.SourceFileLoader):
            return None
        loader = FixedSourceLoader(fullname, spec.origin, fixes)
        return importlib.util.spec_from_file_location(
            fullname, spec.origin, loader=loader,
            submodule_search_locations=spec.submodule_search_locations)


_lock = threading.Lock()


def installed_finder():
    for finder in sys.meta_path:
        if getattr(finder, "boto_sigv4_shim_compat", False):
            return finder
    return None


def install(version=None):
    """Put the finder on sys.meta_path (once); return it, or None when this
    Python needs none of its fixes."""
    version = tuple(sys.version_info[:2] if version is None else version)
    with _lock:
        finder = installed_finder()
        if finder is not None:
            return finder
        source_fixes = fixes_for(version)
        six_moves = version >= (3, 12)
        if not source_fixes and not six_moves:
            return None
        finder = BotoCompatFinder(source_fixes, six_moves)
        position = len(sys.meta_path)
        for index, existing in enumerate(sys.meta_path):
            if existing is machinery.PathFinder:
                position = index
                break
        sys.meta_path.insert(position, finder)
        log.debug("compat: import finder installed at sys.meta_path[%d] "
                  "(six.moves: %s; source fixes: %s)", position, six_moves,
                  ", ".join(sorted(source_fixes)) or "none")
        return finder
