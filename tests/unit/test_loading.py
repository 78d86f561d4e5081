"""The ways of loading the shim: import, sitecustomize, the autoload ``.pth``.

Subprocess tests under each client interpreter (2.7, 3.6, 3.8, 3.11, 3.13;
a missing one skips saying why), in a clean environment (see
``test_runner.clean_env``).  Nothing here reaches the network: boto modules
are imported, no connection is made.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.support import clients
from tests.unit.test_runner import REPO, VERSIONS, clean_env, run, version_of

EXAMPLE = os.path.join(REPO, "sitecustomize_example.py")

REPORT = (
    "import json, sys\n"
    "shim = sys.modules.get('boto_sigv4_shim')\n"
    "print(json.dumps({'imported': shim is not None,\n"
    "                  'installed': bool(shim and shim.is_installed()),\n"
    "                  'boto': 'boto' in sys.modules}, sort_keys=True))\n"
)


@pytest.fixture(params=VERSIONS, ids=["py" + v for v in VERSIONS])
def python(request):
    return clients.require_python(request.param)


def run_code(python, code, env, cwd=None):
    return run(python, ["-c", code], env, cwd=cwd or env["HOME"])


def report_of(result):
    assert (result.returncode, result.stderr) == (0, "")
    return json.loads(result.stdout)


# -- import order, idempotence, round trip ------------------------------------

S3_INIT = ("from boto.s3.connection import S3Connection\n"
           "print(type(vars(S3Connection)['__init__']).__name__)\n")


def test_import_shim_then_boto(python, tmp_path):
    code = ("import sys, boto_sigv4_shim\n"
            "print('boto' in sys.modules)\n" + S3_INIT)
    result = run_code(python, code, clean_env(tmp_path))
    assert (result.returncode, result.stdout, result.stderr) == \
        (0, "False\nFunctionWrapper\n", "")


def test_import_boto_then_shim(python, tmp_path):
    if version_of(python) >= (3, 12):
        pytest.skip("boto 2 imports on 3.12+ only after the shim's import "
                    "fixes, so it cannot come first")
    code = ("import boto.s3.connection, boto_sigv4_shim\n" + S3_INIT)
    result = run_code(python, code, clean_env(tmp_path))
    assert (result.returncode, result.stdout, result.stderr) == \
        (0, "FunctionWrapper\n", "")


def test_install_twice_is_a_no_op(python, tmp_path):
    code = ("import json, boto_sigv4_shim as s\n"
            "print(json.dumps([s.is_installed(), s.install(), s.install(),\n"
            "                  s.uninstall(), s.uninstall(), s.install(),\n"
            "                  s.install(), s.is_installed()]))\n")
    result = run_code(python, code, clean_env(tmp_path))
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout) == [True, False, False, True, False,
                                         True, False, True]


ROUND_TRIP = """
import importlib, json, os, sys
import boto_sigv4_shim, wrapt
from boto_sigv4_shim import _patching
assert not boto_sigv4_shim.is_installed()
MISSING = object()
saved = []
for module_name, path, _ in _patching.PATCHES:
    module = importlib.import_module(module_name)
    owner, attribute, _ = wrapt.resolve_path(module, path)
    saved.append((path, owner, attribute, vars(owner).get(attribute, MISSING)))
del os.environ["BOTO_SIGV4_SHIM_DISABLE"]

def wrapped():
    return [type(vars(o).get(a)).__name__ == "FunctionWrapper"
            for _, o, a, _ in saved]

def restored():
    return [vars(o).get(a, MISSING) is f for _, o, a, f in saved]

steps = [boto_sigv4_shim.install(), wrapped(),
         boto_sigv4_shim.uninstall(), restored(), wrapped(),
         boto_sigv4_shim.install(), wrapped(),
         boto_sigv4_shim.uninstall(), restored()]
print(json.dumps({"paths": [p for p, _, _, _ in saved], "steps": steps}))
"""


def test_install_uninstall_round_trip_restores_originals(python, tmp_path):
    # Switched off at import so boto (and its originals) load first; then on.
    env = clean_env(tmp_path, BOTO_SIGV4_SHIM_DISABLE="1")
    result = run_code(python, ROUND_TRIP, env)
    assert (result.returncode, result.stderr) == (0, "")
    report = json.loads(result.stdout)
    count = len(report["paths"])
    assert "S3Connection.__init__" in report["paths"]
    assert report["steps"] == [True, [True] * count,
                               True, [True] * count, [False] * count,
                               True, [True] * count,
                               True, [True] * count]


# -- the off switch on import -------------------------------------------------

OFF_SWITCHES = {
    "env": dict(extra={"BOTO_SIGV4_SHIM_DISABLE": "1"}, boto_config=""),
    "boto_config": dict(extra={},
                        boto_config="[boto_sigv4_shim]\ndisable = true\n"),
}


def off_env(tmp_path, switch, pythonpath=(), **extra):
    setting = OFF_SWITCHES[switch]
    extra.update(setting["extra"])
    return clean_env(tmp_path, pythonpath=pythonpath,
                     boto_config=setting["boto_config"], **extra)


@pytest.mark.parametrize("switch", sorted(OFF_SWITCHES))
def test_off_switch_on_import(python, tmp_path, switch):
    code = ("import boto_sigv4_shim\n"
            "print(boto_sigv4_shim.is_installed())\n" + S3_INIT)
    result = run_code(python, code, off_env(tmp_path, switch))
    assert (result.returncode, result.stdout, result.stderr) == \
        (0, "False\nfunction\n", "")


# -- sitecustomize_example.py -------------------------------------------------

def site_folder(tmp_path, name="site"):
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(EXAMPLE, str(folder / "sitecustomize.py"))
    return str(folder)


def test_sitecustomize_loads_the_shim(python, tmp_path):
    env = clean_env(tmp_path, pythonpath=[site_folder(tmp_path)])
    assert report_of(run_code(python, REPORT, env)) == {
        "imported": True, "installed": True, "boto": False}


@pytest.mark.parametrize("switch", sorted(OFF_SWITCHES))
def test_sitecustomize_off_switch(python, tmp_path, switch):
    env = off_env(tmp_path, switch, pythonpath=[site_folder(tmp_path)])
    assert report_of(run_code(python, REPORT, env)) == {
        "imported": True, "installed": False, "boto": False}


def broken_package(tmp_path):
    """A folder whose boto_sigv4_shim cannot be imported (shadows the real)."""
    folder = tmp_path / "broken" / "boto_sigv4_shim"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(u"raise ImportError('simulated')\n")
    return str(folder.parent)


def test_sitecustomize_survives_unimportable_package(python, tmp_path):
    env = clean_env(tmp_path, pythonpath=[site_folder(tmp_path),
                                          broken_package(tmp_path)])
    result = run_code(python, "print('started')", env)
    assert (result.returncode, result.stdout, result.stderr) == (
        0, "started\n",
        "boto_sigv4_shim: WARNING: sitecustomize could not load "
        "boto_sigv4_shim (ImportError: simulated); continuing without the "
        "shim\n")


def test_sitecustomize_chains_to_the_shadowed_one(python, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "sitecustomize.py").write_text(
        u"import sys\nsys.stdout.write('chained %s\\n' % __name__)\n")
    env = clean_env(tmp_path, pythonpath=[site_folder(tmp_path), str(other)])
    result = run_code(python, "import boto_sigv4_shim as s; "
                      "print(s.is_installed())", env)
    assert (result.returncode, result.stdout, result.stderr) == \
        (0, "chained _chained_sitecustomize\nTrue\n", "")


# -- the autoload .pth --------------------------------------------------------

_VENVS = {}


def throwaway_venv(python, tmp_path_factory):
    """(venv python, PYTHONPATH entries) for a fresh, empty environment.

    Nothing is installed in it: the package comes from this repository and
    wrapt from the client environment, both through PYTHONPATH -- the .pth
    line finds the package that way too.
    """
    if python in _VENVS:
        return _VENVS[python]
    folder = str(tmp_path_factory.mktemp("venv") / "v")
    if version_of(python) < (3, 0):
        try:
            import virtualenv  # noqa: F401
        except ImportError:
            pytest.skip("virtualenv is needed to make a Python 2.7 "
                        "environment")
        command = [sys.executable, "-m", "virtualenv", "-q", "--no-pip",
                   "--no-setuptools", "--no-wheel", "-p", python, folder]
    else:
        command = [python, "-m", "venv", "--without-pip", folder]
    subprocess.check_call(command, stdout=subprocess.DEVNULL)
    client_site = subprocess.check_output(
        [python, "-c", "import os, wrapt; print(os.path.dirname(os.path."
         "dirname(os.path.abspath(wrapt.__file__))))"],
        universal_newlines=True).strip()
    venv_python = os.path.join(folder, "bin", "python")
    _VENVS[python] = (venv_python, client_site)
    return _VENVS[python]


@pytest.fixture
def venv(python, tmp_path_factory):
    return throwaway_venv(python, tmp_path_factory)


def venv_env(tmp_path, venv, switch=None, extra_path=(), **extra):
    _, client_site = venv
    if switch:
        env = off_env(tmp_path, switch, **extra)
    else:
        env = clean_env(tmp_path, **extra)
    # The repository before the client site-packages (which holds an
    # installed copy of the package).
    env["PYTHONPATH"] = os.pathsep.join(list(extra_path) +
                                        [REPO, client_site])
    return env


def purelib(venv_python, env):
    return subprocess.check_output(
        [venv_python, "-c", "import sysconfig; "
         "print(sysconfig.get_paths()['purelib'])"],
        env=env, universal_newlines=True).strip()


def autoload(venv_python, env, *args):
    return run(venv_python, ["-m", "boto_sigv4_shim", "autoload"] +
               list(args), env, cwd=env["HOME"])


def pth_line():
    sys.path.insert(0, REPO)
    try:
        from boto_sigv4_shim import autoload as module
    finally:
        sys.path.remove(REPO)
    return module.pth_line()


def test_autoload_enable_writes_the_pth(venv, tmp_path):
    venv_python = venv[0]
    env = venv_env(tmp_path, venv)
    path = os.path.join(purelib(venv_python, env),
                        "boto_sigv4_shim-autoload.pth")
    result = autoload(venv_python, env, "enable")
    assert (result.returncode, result.stdout, result.stderr) == (
        0, "autoload enabled: %s\nprocesses load the shim when "
           "BOTO_SIGV4_SHIM_AUTOLOAD=1\n" % path, "")
    with open(path) as handle:
        assert handle.read() == pth_line()
    assert pth_line().count("\n") == 1


def test_autoload_status_when_enabled(venv, tmp_path):
    venv_python = venv[0]
    env = venv_env(tmp_path, venv)
    assert autoload(venv_python, env, "enable").returncode == 0
    path = os.path.join(purelib(venv_python, env),
                        "boto_sigv4_shim-autoload.pth")
    result = autoload(venv_python, env, "status")
    assert (result.returncode, result.stdout, result.stderr) == (
        0, "autoload: enabled\npth file: %s\nBOTO_SIGV4_SHIM_AUTOLOAD: not "
           "set, the .pth does nothing\n" % path, "")


def test_autoload_loads_the_shim_when_requested(venv, tmp_path):
    venv_python = venv[0]
    env = venv_env(tmp_path, venv, BOTO_SIGV4_SHIM_AUTOLOAD="1")
    assert autoload(venv_python, env, "enable").returncode == 0
    assert report_of(run_code(venv_python, REPORT, env)) == {
        "imported": True, "installed": True, "boto": False}


@pytest.mark.parametrize("value", ["", "0", "false", "maybe"])
def test_autoload_inactive_costs_no_import(venv, tmp_path, value):
    venv_python = venv[0]
    env = venv_env(tmp_path, venv, BOTO_SIGV4_SHIM_AUTOLOAD=value)
    assert autoload(venv_python, env, "enable").returncode == 0
    assert report_of(run_code(venv_python, REPORT, env)) == {
        "imported": False, "installed": False, "boto": False}


@pytest.mark.parametrize("switch", sorted(OFF_SWITCHES))
def test_autoload_off_switch(venv, tmp_path, switch):
    venv_python = venv[0]
    env = venv_env(tmp_path, venv, switch=switch,
                   BOTO_SIGV4_SHIM_AUTOLOAD="yes")
    assert autoload(venv_python, env, "enable").returncode == 0
    assert report_of(run_code(venv_python, REPORT, env)) == {
        "imported": True, "installed": False, "boto": False}


def test_autoload_survives_unimportable_package(venv, tmp_path):
    venv_python = venv[0]
    env = venv_env(tmp_path, venv)
    assert autoload(venv_python, env, "enable").returncode == 0
    env = venv_env(tmp_path, venv, extra_path=[broken_package(tmp_path)],
                   BOTO_SIGV4_SHIM_AUTOLOAD="1")
    result = run_code(venv_python, "print('started')", env)
    assert (result.returncode, result.stdout, result.stderr) == (
        0, "started\n",
        "boto_sigv4_shim: WARNING: autoload could not import "
        "boto_sigv4_shim (ImportError: simulated); continuing without the "
        "shim\n")


def test_autoload_disable_and_status(venv, tmp_path):
    venv_python = venv[0]
    env = venv_env(tmp_path, venv, BOTO_SIGV4_SHIM_AUTOLOAD="1")
    assert autoload(venv_python, env, "enable").returncode == 0
    path = os.path.join(purelib(venv_python, env),
                        "boto_sigv4_shim-autoload.pth")
    result = autoload(venv_python, env, "disable")
    assert (result.returncode, result.stdout, result.stderr) == \
        (0, "autoload disabled: %s removed\n" % path, "")
    assert not os.path.exists(path)
    result = autoload(venv_python, env, "disable")
    assert (result.returncode, result.stdout, result.stderr) == \
        (0, "autoload disabled: %s was not present\n" % path, "")
    result = autoload(venv_python, env, "status")
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "autoload: disabled\npth file: %s (absent)\n"
           "BOTO_SIGV4_SHIM_AUTOLOAD: set, processes load the shim\n" % path,
        "")
    assert report_of(run_code(venv_python, REPORT, env)) == {
        "imported": False, "installed": False, "boto": False}


def test_autoload_user_site(venv, tmp_path):
    venv_python = venv[0]
    userbase = tmp_path / "userbase"
    env = venv_env(tmp_path, venv, PYTHONUSERBASE=str(userbase))
    user_site = subprocess.check_output(
        [venv_python, "-c", "import site; print(site.getusersitepackages())"],
        env=env, universal_newlines=True).strip()
    assert user_site.startswith(str(userbase))
    path = os.path.join(user_site, "boto_sigv4_shim-autoload.pth")
    result = autoload(venv_python, env, "enable", "--user")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("autoload enabled: %s\n" % path)
    assert os.path.exists(path)
    result = autoload(venv_python, env, "status", "--user")
    # A virtual environment does not read the user site-packages.
    assert result.returncode == 0
    assert result.stdout.endswith(
        "warning: this interpreter does not read the user site-packages "
        "(virtualenv or -s): the .pth is ignored\n")
    assert autoload(venv_python, env, "disable", "--user").returncode == 0
    assert not os.path.exists(path)


def test_autoload_usage_error(python, tmp_path):
    result = run(python, ["-m", "boto_sigv4_shim", "autoload", "frob"],
                 clean_env(tmp_path))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "usage: python -m boto_sigv4_shim autoload {enable,disable,status} "
        "[--user]\nboto_sigv4_shim: error: autoload needs one of enable, "
        "disable, status\n")


def test_autoload_survives_failing_install(venv, tmp_path):
    venv_python = venv[0]
    env = venv_env(tmp_path, venv, BOTO_SIGV4_SHIM_AUTOLOAD="1",
                   BOTO_SIGV4_SHIM_DISABLE="maybe")
    assert autoload(venv_python, env, "enable").returncode == 0
    result = run_code(venv_python, "print('started')", env)
    assert (result.returncode, result.stdout, result.stderr) == (
        0, "started\n",
        "boto_sigv4_shim: WARNING: autoload could not install "
        "boto_sigv4_shim (ValueError: boto_sigv4_shim: 'maybe' (from "
        "BOTO_SIGV4_SHIM_DISABLE) is not a yes/no value; use one of 1/0, "
        "true/false, yes/no, on/off); continuing without the shim\n")
