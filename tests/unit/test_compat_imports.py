"""boto 2 imports and runs its import-time machinery on new Pythons.

Each test runs a client interpreter (no server needed) with a sealed
environment: HOME and BOTO_CONFIG in tmp_path, no AWS_* variables, only
loopback reachable (``SHIM_TEST_ROUTE`` with no routed names).
"""
import json
import sys
import textwrap

import pytest

from tests.support import clients

NEW = ("3.10", "3.11", "3.12", "3.13")

# Modules of boto 2.49 that fail to import on EVERY Python 3 (with or without
# the shim, 3.6 as 3.13): optional third-party dependencies, Python 2-only
# modules and a module importing one boto never shipped.  Not new-Python
# breakage, so not ours to fix; listed exactly so a new failure shows.
OPTIONAL_DEPENDENCIES = ("requests", "yaml", "paramiko")
PYTHON2_ONLY = {
    "boto.gs.resumable_upload_handler": "No module named 'httplib'",
    "boto.s3.resumable_download_handler": "No module named 'httplib'",
    "boto.pyami.copybot": "No module named 'StringIO'",
    "boto.requestlog": "No module named 'Queue'",
    "boto.roboto.awsqueryrequest": "No module named 'urlparse'",
    "boto.roboto.awsqueryservice": "No module named 'urlparse'",
    "boto.mashups.order": "No module named 'boto.sdb.persist'",
}
# A script, not a module: importing it creates an EC2 volume.
NOT_IMPORTED = ("boto.manage.test_manage",)

WALK = textwrap.dedent("""
    import json, pkgutil, sys, warnings
    warnings.simplefilter("always")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import boto_sigv4_shim
        import boto
        failures, imported = {}, []
        def onerror(name):
            failures[name] = repr(sys.exc_info()[1])
        for info in pkgutil.walk_packages(boto.__path__, "boto.",
                                          onerror=onerror):
            name = info[1]
            if name in %(skip)r:
                continue
            try:
                __import__(name)
                imported.append(name)
            except Exception as error:
                failures[name] = "%%s: %%s" %% (type(error).__name__, error)
    print("RESULT " + json.dumps({
        "imported": imported, "failures": failures,
        "shim_warnings": ["%%s: %%s (%%s:%%s)" %% (w.category.__name__,
                          w.message, w.filename, w.lineno) for w in caught
                          if "boto_sigv4_shim" in (w.filename or "")]}))
""") % {"skip": NOT_IMPORTED}


@pytest.fixture
def sealed_env(tmp_path):
    config = tmp_path / "boto.cfg"
    config.write_text("[Boto]\nnum_retries = 0\n"
                      "metadata_service_num_attempts = 0\n")
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
            "BOTO_CONFIG": str(config), "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONIOENCODING": "utf-8",
            "SHIM_TEST_ROUTE": json.dumps({"suffixes": [], "ports": {}})}


def run_script(python, source, env, tmp_path, args=(), name="client.py"):
    script = tmp_path / name
    script.write_text(source)
    proc = clients.run(python, [str(script)] + list(args), env=env,
                       timeout=180)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, (proc.stdout, proc.stderr)
    return json.loads(lines[-1][len("RESULT "):])


@pytest.mark.parametrize("version", NEW)
def test_every_boto_module_imports(version, sealed_env, tmp_path):
    python = clients.require_python(version)
    result = run_script(python, WALK, sealed_env, tmp_path)
    assert result["shim_warnings"] == []
    failures = result["failures"]
    unexpected = {}
    for name, error in failures.items():
        if error in ["ModuleNotFoundError: No module named '%s'" % dependency
                     for dependency in OPTIONAL_DEPENDENCIES]:
            continue
        if name in PYTHON2_ONLY and PYTHON2_ONLY[name] in error:
            continue
        unexpected[name] = error
    assert unexpected == {}
    assert set(PYTHON2_ONLY) <= set(failures)
    imported = set(result["imported"])
    for name in ("boto.plugin", "boto.https_connection",
                 "boto.vendored.six", "boto.dynamodb.types",
                 "boto.dynamodb2.table", "boto.ecs.item",
                 "boto.mws.connection", "boto.pyami.launch_ami",
                 "boto.s3.connection", "boto.ec2.connection"):
        assert name in imported
    assert len(imported) > 340


RUNTIME = textwrap.dedent("""
    import importlib, io, json, os, pkgutil, sys, warnings
    out = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import boto_sigv4_shim
        import boto
        # six.moves: attributes, submodules, reload of moves and of six.
        from boto.compat import http_client, urlparse, six
        import boto.vendored.six.moves.urllib.parse as moves_parse
        import boto.vendored.six.moves.queue as moves_queue
        import queue
        out["queue_is_real"] = moves_queue is queue
        out["queue_spec"] = queue.__spec__.name
        moves = sys.modules["boto.vendored.six.moves"]
        out["reload_moves"] = importlib.reload(moves) is moves
        importlib.reload(sys.modules["boto.vendored.six"])
        import boto.vendored.six.moves.urllib_robotparser as robot
        out["robotparser"] = robot.__name__
        out["parse_quote"] = moves_parse.quote("a b")
        out["http_client"] = http_client.__name__
        # plugin_directory: boto.plugin.load_plugins through imp.
        # boto's import ran load_plugins on [Plugin] plugin_directory.
        import boto.plugin
        shim_test_plugin = sys.modules["shim_test_plugin"]
        out["plugin"] = [c.__name__ for c in
                         boto.plugin.get_plugin(boto.plugin.Plugin, ["x"])]
        out["plugin_file"] = os.path.basename(shim_test_plugin.__file__)
        out["plugin_is_module"] = type(shim_test_plugin) is type(sys)
        importlib.reload(boto.plugin)
        # Config(fp=...) and AWS_CREDENTIAL_FILE use readfp.
        from boto.pyami.config import Config
        config = Config(fp=io.StringIO(u"[S]\\nk = v\\n"))
        out["config_fp"] = config.get("S", "k")
        # dynamodb types, ecs cgi.escape, mws collections.Mapping
        from boto.dynamodb.types import Dynamizer
        out["dynamizer"] = Dynamizer().encode({"a": 1})
        import boto.ecs.item
        out["ecs_escape"] = boto.ecs.item.cgi.escape("<a&b>")
        from boto.mws.connection import destructure_object
        into = {}
        destructure_object({"A": "1"}, into, "P")
        out["mws"] = into
    out["shim_warnings"] = ["%s: %s (%s:%s)" % (w.category.__name__,
                            w.message, w.filename, w.lineno) for w in caught
                            if "boto_sigv4_shim" in (w.filename or "")]
    print("RESULT " + json.dumps(out, sort_keys=True))
""")

PLUGIN = textwrap.dedent("""
    from boto.plugin import Plugin
    class ShimTestPlugin(Plugin):
        capability = ["x"]
""")


@pytest.mark.parametrize("version", NEW)
def test_boto_import_machinery_at_run_time(version, sealed_env, tmp_path):
    python = clients.require_python(version)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "shim_test_plugin.py").write_text(PLUGIN)
    with open(sealed_env["BOTO_CONFIG"], "a") as config:
        config.write("[Plugin]\nplugin_directory = %s\n" % plugins)
    result = run_script(python, RUNTIME, sealed_env, tmp_path,
                        args=[str(plugins)])
    assert result == {
        "queue_is_real": True, "queue_spec": "queue", "reload_moves": True,
        "robotparser": "urllib.robotparser", "parse_quote": "a%20b",
        "http_client": "http.client", "plugin": ["ShimTestPlugin"],
        "plugin_file": "shim_test_plugin.py", "plugin_is_module": True,
        "config_fp": "v", "dynamizer": {"M": {"a": {"N": "1"}}},
        "ecs_escape": "&lt;a&amp;b&gt;", "mws": {"P.A": "1"},
        "shim_warnings": []}


OLD_PATH = textwrap.dedent("""
    import json, sys
    import boto_sigv4_shim
    import boto.compat, boto.plugin
    finders = [type(f).__name__ for f in sys.meta_path]
    print("RESULT " + json.dumps({"finders": finders,
          "imp": getattr(boto.plugin, "imp").__name__}))
""")


@pytest.mark.parametrize("version", ["2.7", "3.6", "3.11"])
def test_old_pythons_keep_boto_import_path(version, sealed_env, tmp_path):
    python = clients.require_python(version)
    result = run_script(python, OLD_PATH, sealed_env, tmp_path)
    assert result["imp"] == "imp"
    assert "BotoCompatFinder" not in result["finders"] or version == "3.11"
    if version == "3.11":  # only for collections.abc (3.10+), not six/imp
        assert result["finders"].count("BotoCompatFinder") == 1


def test_walk_needs_the_shim_on_312_and_313(sealed_env, tmp_path):
    """Without the shim, boto does not import there (what this fixes)."""
    for version in ("3.12", "3.13"):
        python = clients.venv_python(version)
        if python is None:
            continue
        proc = clients.run(python, ["-c", "import boto"], env=sealed_env)
        assert "No module named 'boto.vendored.six.moves'" in proc.stderr
    if clients.venv_python("3.12") is None and \
            clients.venv_python("3.13") is None:
        pytest.skip("no client environment for Python 3.12 or 3.13")
