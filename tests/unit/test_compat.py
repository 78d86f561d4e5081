"""The compat fixes, in-process (main interpreter) and by version table."""
import ast
import os
import ssl
import subprocess
import sys
import textwrap
import warnings

import pytest

from boto_sigv4_shim import _compat_cgi, _compat_import, compat


def hook_targets(version):
    return [(module, getattr(hook, "__name__", hook))
            for module, hook in compat.post_import_hooks(version)]


# -- which fix applies where ------------------------------------------------------

def test_post_import_hooks_by_version():
    https = [("boto.https_connection",
              "boto_sigv4_shim._compat_https:patch_https_connection"),
             ("boto.connection",
              "boto_sigv4_shim._compat_https:patch_connection")]
    assert hook_targets((2, 7, 8)) == []
    assert hook_targets((2, 7, 9)) == https
    assert hook_targets((3, 6, 15)) == https
    assert hook_targets((3, 8, 0)) == [
        ("boto.ecs.item", "fix_ecs_cgi_escape")] + https
    assert hook_targets((3, 12, 1)) == [
        ("boto.ecs.item", "fix_ecs_cgi_escape"),
        ("boto.pyami.config", "fix_config_readfp")] + https
    assert hook_targets((3, 13, 0)) == [
        ("boto.pyami.config", "fix_config_readfp")] + https


def test_source_fixes_by_version():
    def table(version):
        return dict((module, [name for name, _ in fixes]) for module, fixes
                    in _compat_import.fixes_for(version).items())
    assert table((3, 9)) == {}
    abcs = {"boto.dynamodb.types": ["collections_abcs"],
            "boto.mws.connection": ["collections_abcs"]}
    assert table((3, 10)) == abcs
    assert table((3, 11)) == abcs
    with_imp = dict(abcs, **{"boto.plugin": ["imp_removed"],
                             "boto.pyami.launch_ami": ["imp_removed"]})
    assert table((3, 12)) == with_imp
    assert table((3, 13)) == dict(with_imp,
                                  **{"boto.ecs.item": ["cgi_removed"]})


def test_apply_is_idempotent_and_leaves_one_finder():
    compat.apply()
    before = list(sys.meta_path)
    assert compat.apply() is False
    assert sys.meta_path == before
    finders = [f for f in sys.meta_path
               if getattr(f, "boto_sigv4_shim_compat", False)]
    assert len(finders) == (1 if sys.version_info >= (3, 10) else 0)
    if finders:
        assert _compat_import.install() is finders[0]
        # behind anything at the front, before the path finder
        import importlib.machinery
        assert sys.meta_path.index(finders[0]) + 1 == \
            sys.meta_path.index(importlib.machinery.PathFinder)


def test_importing_the_shim_imports_no_boto(tmp_path):
    code = ("import sys, boto_sigv4_shim; "
            "print(sorted(m for m in sys.modules if m == 'boto' "
            "or m.startswith('boto.')))")
    env = dict(os.environ, HOME=str(tmp_path))
    out = subprocess.check_output([sys.executable, "-c", code], env=env,
                                  universal_newlines=True)
    assert out.strip() == "[]"


def test_uninstall_leaves_the_compat_fixes():
    import boto_sigv4_shim
    import boto.connection
    import boto.https_connection
    cls = boto.https_connection.CertValidatingHTTPSConnection
    was_installed = boto_sigv4_shim.is_installed()
    boto_sigv4_shim.uninstall()
    try:
        for owner, name, fix in (
                (cls, "connect", "https_ssl_context"),
                (boto.connection.AWSAuthConnection, "proxy_ssl",
                 "proxy_tunnel")):
            wrapper = getattr(vars(owner)[name], "_self_wrapper", None)
            assert getattr(wrapper, "boto_sigv4_shim_fix", None) == fix
    finally:
        if was_installed:
            boto_sigv4_shim.install()


def test_hooks_are_not_applied_twice():
    import boto.https_connection
    from boto_sigv4_shim import _compat_https
    cls = boto.https_connection.CertValidatingHTTPSConnection
    before = vars(cls)["connect"]
    _compat_https.patch_https_connection(boto.https_connection)
    assert vars(cls)["connect"] is before


# -- syntax-tree rewrites -------------------------------------------------------

def rewritten(source, rewrite):
    tree = ast.parse(textwrap.dedent(source))
    changed = rewrite(tree)
    ast.fix_missing_locations(tree)
    return changed, tree


def test_bind_import_rewrites_only_that_import():
    rewrite = _compat_import.bind_import_to("imp", "boto_sigv4_shim",
                                            "_compat_imp")
    changed, tree = rewritten("""
        import glob, imp, os.path
        import imp as other
        def f():
            return imp.find_module
    """, rewrite)
    assert changed == 1
    namespace = {}
    exec(compile(tree, "<test>", "exec"), namespace)
    from boto_sigv4_shim import _compat_imp
    assert namespace["imp"] is _compat_imp
    assert namespace["glob"].__name__ == "glob"
    assert namespace["os"].__name__ == "os"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import imp
    assert namespace["other"] is imp
    assert tree.body[0].lineno == 2 and tree.body[1].lineno == 2


def test_collections_abcs_rewrite():
    changed, tree = rewritten("""
        import collections
        from collections import Mapping
        from collections import defaultdict
        def f(x):
            return isinstance(x, collections.Mapping), collections.OrderedDict
    """, _compat_import.collections_abcs)
    assert changed == 2
    namespace = {}
    exec(compile(tree, "<test>", "exec"), namespace)
    import collections.abc
    assert namespace["Mapping"] is collections.abc.Mapping
    assert namespace["f"]({}) == (True, collections.OrderedDict)


def test_cgi_escape_is_the_old_one():
    assert _compat_cgi.escape('<a href="x">&</a>') == \
        '&lt;a href="x"&gt;&amp;&lt;/a&gt;'
    assert _compat_cgi.escape('"', quote=True) == "&quot;"


# -- _compat_imp against the real imp (still in 3.11) ----------------------------

@pytest.mark.skipif(sys.version_info >= (3, 12), reason="no imp to compare")
def test_compat_imp_matches_imp(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import imp
    from boto_sigv4_shim import _compat_imp
    (tmp_path / "plain_mod.py").write_text("X = 1\n")
    (tmp_path / "pkg_mod").mkdir()
    (tmp_path / "pkg_mod" / "__init__.py").write_text("Y = 2\n")
    (tmp_path / "pkg_mod.py").write_text("Z = 3\n")  # the package wins
    path = [str(tmp_path)]
    for name in ("plain_mod", "pkg_mod"):
        ours = _compat_imp.find_module(name, path)
        theirs = imp.find_module(name, path)
        try:
            assert ours[1:] == theirs[1:]
            assert (ours[0] is None) == (theirs[0] is None)
        finally:
            for found in (ours, theirs):
                if found[0]:
                    found[0].close()
    assert _compat_imp.find_module("sys") == imp.find_module("sys")
    assert _compat_imp.get_suffixes() == imp.get_suffixes()
    with pytest.raises(ImportError):
        _compat_imp.find_module("no_such_mod_here", path)
    try:
        found = _compat_imp.find_module("plain_mod", path)
        module = _compat_imp.load_module("shim_plain_mod", *found)
        found[0].close()
        assert (module.X, sys.modules["shim_plain_mod"]) == (1, module)
        assert module.__file__ == str(tmp_path / "plain_mod.py")
        (tmp_path / "plain_mod.py").write_text("X = 10\n")
        again = _compat_imp.load_source("shim_plain_mod",
                                        str(tmp_path / "plain_mod.py"))
        assert again is module and module.X == 10  # re-executed in place
        package = _compat_imp.load_module(
            "shim_pkg_mod", *_compat_imp.find_module("pkg_mod", path))
        assert package.Y == 2
        assert package.__path__ == [str(tmp_path / "pkg_mod")]
    finally:
        sys.modules.pop("shim_plain_mod", None)
        sys.modules.pop("shim_pkg_mod", None)


# -- HTTPS helpers -------------------------------------------------------------

def test_parse_proxy_url():
    from boto_sigv4_shim._compat_https import parse_proxy_url
    assert parse_proxy_url("http://127.0.0.1:3128") == \
        ("127.0.0.1", 3128, None, None)
    assert parse_proxy_url("proxy.test:8080") == ("proxy.test", 8080, None,
                                                  None)
    assert parse_proxy_url("http://u%40x:p%3Aw@proxy.test") == \
        ("proxy.test", 80, "u@x", "p:w")
    assert parse_proxy_url("https://proxy.test") == ("proxy.test", 443, None,
                                                     None)
    assert parse_proxy_url("socks5://proxy.test:1080") is None
    assert parse_proxy_url("http://proxy.test:notaport") is None


class FakeConn(object):
    def __init__(self, is_secure=True):
        self.is_secure = is_secure
        self.proxy = self.proxy_port = self.proxy_user = self.proxy_pass = None
        self.use_proxy = False


def test_https_proxy_env_precedence():
    from boto_sigv4_shim._compat_https import https_proxy_from_env
    env = {"https_proxy": "http://a:b@p.test:1", "HTTPS_PROXY": "q.test:2"}
    conn = FakeConn()
    https_proxy_from_env(conn, None, None, None, env)
    assert (conn.proxy, conn.proxy_port, conn.proxy_user, conn.proxy_pass,
            conn.use_proxy) == ("p.test", 1, "a", "b", True)
    conn = FakeConn()
    https_proxy_from_env(conn, None, "u", "v", {"HTTPS_PROXY": "q.test:2"})
    assert (conn.proxy, conn.proxy_port, conn.proxy_user,
            conn.proxy_pass) == ("q.test", 2, "u", "v")
    conn = FakeConn()  # an explicit proxy argument wins
    https_proxy_from_env(conn, "explicit.test", None, None, env)
    assert conn.use_proxy is False and conn.proxy is None
    conn = FakeConn(is_secure=False)  # plain HTTP keeps boto's http_proxy
    https_proxy_from_env(conn, None, None, None, env)
    assert conn.use_proxy is False


def test_origin_form():
    from boto_sigv4_shim._compat_https import origin_form
    host = "bucket.s3.amazonaws.com"
    assert origin_form("https://bucket.s3.amazonaws.com/k?acl", host) == \
        "/k?acl"
    assert origin_form("https://bucket.s3.amazonaws.com:443/", host) == "/"
    assert origin_form("https://bucket.s3.amazonaws.com", host) == "/"
    assert origin_form("/already", host) == "/already"
    assert origin_form("https://other.test/x", host) == "https://other.test/x"


def test_basic_auth():
    from boto_sigv4_shim._compat_https import basic_auth
    assert basic_auth("user", "p@ss:word") == "Basic dXNlcjpwQHNzOndvcmQ="


def test_ca_file_choice(tmp_path):
    import boto
    from boto_sigv4_shim import _compat_https
    bundled = _compat_https.boto_bundled_ca_file()
    assert os.path.isfile(bundled)
    assert _compat_https.ca_file_to_use(None) is None
    custom = str(tmp_path / "ca.pem")
    assert _compat_https.ca_file_to_use(custom) == custom
    configured = boto.config.get_value("Boto", "ca_certificates_file")
    try:
        if boto.config.has_section("Boto"):
            boto.config.remove_option("Boto", "ca_certificates_file")
        assert _compat_https.ca_file_to_use(bundled) is None  # system store
        boto.config.set("Boto", "ca_certificates_file", bundled)
        assert _compat_https.ca_file_to_use(bundled) == bundled
    finally:
        if configured is None:
            boto.config.remove_option("Boto", "ca_certificates_file")
        else:
            boto.config.set("Boto", "ca_certificates_file", configured)


def test_ssl_context_verifies():
    from boto_sigv4_shim._compat_https import ssl_context
    context = ssl_context(None)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert ssl_context(None) is context


def test_certificate_failures_are_recognised():
    from boto_sigv4_shim._compat_https import certificate_failure
    verify = ssl.SSLCertVerificationError(1, "certificate verify failed")
    assert certificate_failure(verify) is not None
    assert certificate_failure(ssl.CertificateError("mismatch")) is not None
    assert certificate_failure(ssl.SSLError(1, "wrong version")) is None
    assert certificate_failure(OSError("refused")) is None
