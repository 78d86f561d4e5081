"""``python -m boto_sigv4_shim``: the target runs as under plain ``python``.

Every behaviour is checked under each client interpreter (2.7, 3.6, 3.8,
3.11, 3.13; a missing one skips with the reason) by running the same target
twice -- ``python <target>`` and ``python -m boto_sigv4_shim <target>`` --
and comparing exit status, stdout and stderr, plus the exact expected value.
Subprocesses get a clean environment: a temporary HOME and BOTO_CONFIG, no
AWS_* variables of the developer, this repository on PYTHONPATH.  No target
touches the network.
"""
import json
import os
import re
import shutil
import subprocess

import pytest

from tests.support import clients

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = os.path.join(HERE, "runner_targets")
REPO = clients.REPO
VERSIONS = ("2.7", "3.6", "3.8", "3.11", "3.13")


def shim_version():
    with open(os.path.join(REPO, "boto_sigv4_shim", "_version.py")) as handle:
        return re.search(r'__version__ = "([^"]+)"', handle.read()).group(1)


def clean_env(base, pythonpath=(), boto_config="", **extra):
    """A subprocess environment that owns nothing of the developer's."""
    home = os.path.join(str(base), "home")
    if not os.path.isdir(home):
        os.makedirs(home)
    config = os.path.join(str(base), "boto.cfg")
    with open(config, "w") as handle:
        handle.write(boto_config)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "BOTO_CONFIG": config,
        "AWS_CONFIG_FILE": os.path.join(home, "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "aws-credentials"),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join([str(p) for p in pythonpath] + [REPO]),
    }
    env.update(extra)
    return env


def run(python, args, env, cwd=TARGETS, stdin=None, timeout=60):
    return subprocess.run([python] + list(args), env=env, cwd=cwd,
                          input=stdin, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=timeout)


def run_both(python, args, env, cwd=TARGETS, stdin=None, options=()):
    plain = run(python, args, env, cwd=cwd, stdin=stdin)
    shim = run(python, ["-m", "boto_sigv4_shim"] + list(options) + list(args),
               env, cwd=cwd, stdin=stdin)
    return plain, shim


def assert_same(plain, shim):
    assert (shim.returncode, shim.stdout, shim.stderr) == \
        (plain.returncode, plain.stdout, plain.stderr)


_VERSIONS_SEEN = {}


def version_of(python):
    if python not in _VERSIONS_SEEN:
        out = subprocess.check_output(
            [python, "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
            universal_newlines=True)
        _VERSIONS_SEEN[python] = tuple(int(p) for p in out.split())
    return _VERSIONS_SEEN[python]


@pytest.fixture(params=VERSIONS, ids=["py" + v for v in VERSIONS])
def python(request):
    return clients.require_python(request.param)


@pytest.fixture
def env(tmp_path):
    return clean_env(tmp_path)


# -- a script: argv, sys.path[0], __name__, __file__, __main__ namespace ----

_SHOW_CACHE = {}


@pytest.fixture
def show(python, tmp_path_factory):
    """(plain, shim) reports of ``show.py a --b``, run once per interpreter."""
    if python not in _SHOW_CACHE:
        env = clean_env(tmp_path_factory.mktemp("show"))
        plain, shim = run_both(python, ["show.py", "a", "--b"], env)
        assert plain.returncode == 0, plain.stderr
        assert shim.returncode == 0, shim.stderr
        assert shim.stderr == plain.stderr == ""
        _SHOW_CACHE[python] = (json.loads(plain.stdout),
                               json.loads(shim.stdout))
    return _SHOW_CACHE[python]


def test_script_sys_argv(show):
    plain, shim = show
    assert shim["argv"] == plain["argv"] == ["show.py", "a", "--b"]


def test_script_sys_path0(show):
    plain, shim = show
    assert shim["path0"] == plain["path0"] == os.path.realpath(TARGETS)


def test_script_name(show):
    plain, shim = show
    assert shim["name"] == plain["name"] == "__main__"


def test_script_file(show, python):
    plain, shim = show
    expected = "show.py" if version_of(python) < (3, 9) else \
        os.path.join(TARGETS, "show.py")
    assert shim["file"] == plain["file"] == expected


def test_script_package(show):
    plain, shim = show
    assert shim["package"] is None
    assert plain["package"] is None


def test_script_main_namespace(show, python):
    plain, shim = show
    if version_of(python) < (3, 0):
        expected = ["__builtins__", "__doc__", "__file__", "__name__",
                    "__package__", "emit", "main_report", "sys"]
    else:
        expected = ["__annotations__", "__builtins__", "__cached__",
                    "__doc__", "__file__", "__loader__", "__name__",
                    "__package__", "__spec__", "emit", "main_report", "sys"]
    assert shim["keys"] == plain["keys"] == expected
    assert shim["loader"] == plain["loader"] == (
        None if version_of(python) < (3, 0) else "SourceFileLoader")
    assert shim["is_sys_main"] is plain["is_sys_main"] is True


def test_script_path0_resolves_symlinks(python, env, tmp_path):
    link = tmp_path / "linked.py"
    os.symlink(os.path.join(TARGETS, "show.py"), str(link))
    plain, shim = run_both(python, [str(link)], env, cwd=str(tmp_path))
    assert_same(plain, shim)
    report = json.loads(shim.stdout)
    assert report["path0"] == os.path.realpath(TARGETS)
    assert report["file"] == str(link)


def test_script_dot_path_file_not_normalised(python, env):
    plain, shim = run_both(python, ["./pkg/../show.py"], env)
    assert_same(plain, shim)
    expected = "./pkg/../show.py" if version_of(python) < (3, 9) else \
        TARGETS + "/./pkg/../show.py"
    assert json.loads(shim.stdout)["file"] == expected


# -- exit status --------------------------------------------------------------

@pytest.mark.parametrize("how, status, stderr", [
    ("fall-off-end", 0, ""),
    ("none", 0, ""),
    ("0", 0, ""),
    ("3", 3, ""),
    ("a message", 1, "a message\n"),
])
def test_exit_status(python, env, how, status, stderr):
    plain, shim = run_both(python, ["exits.py", how], env)
    assert_same(plain, shim)
    assert (shim.returncode, shim.stdout, shim.stderr) == (status, "", stderr)


# -- uncaught exceptions ------------------------------------------------------

def test_traceback_has_only_the_script_frames(python, env):
    plain, shim = run_both(python, ["boom.py"], env)
    assert_same(plain, shim)
    assert shim.returncode == 1
    assert shim.stderr.startswith("Traceback (most recent call last):\n")
    assert "runpy" not in shim.stderr
    assert "boto_sigv4_shim" not in shim.stderr
    files = re.findall(r'File "([^"]+)"', shim.stderr)
    assert set(files) == {"boom.py" if version_of(python) < (3, 9)
                          else os.path.join(TARGETS, "boom.py")}
    assert shim.stderr.endswith(
        "RuntimeError: cannot load 'not a number'\n")


def test_syntax_error_in_script(python, env, tmp_path):
    script = tmp_path / "broken.py"
    script.write_text(u"x = 1\ndef (\n")
    plain, shim = run_both(python, [str(script)], env, cwd=str(tmp_path))
    assert_same(plain, shim)
    assert shim.returncode == 1
    assert shim.stderr.startswith('  File "%s", line 2\n' % script)
    assert "Traceback" not in shim.stderr


def test_keyboard_interrupt(python, env):
    plain, shim = run_both(python, ["interrupt.py"], env)
    assert_same(plain, shim)
    # 3.8+ ends the process with SIGINT after the traceback.
    assert shim.returncode == (-2 if version_of(python) >= (3, 8) else 1)
    assert shim.stderr.startswith("Traceback (most recent call last):\n")
    assert shim.stderr.endswith("KeyboardInterrupt\n")
    assert "boto_sigv4_shim" not in shim.stderr


def test_exception_in_module_run_with_m(python, env):
    plain, shim = run_both(python, ["-m", "pkg.fail"], env)
    assert_same(plain, shim)
    assert shim.returncode == 1
    assert "boto_sigv4_shim" not in shim.stderr
    assert shim.stderr.endswith("LookupError: relative import ok\n")


# -- -m, packages, folders ----------------------------------------------------

def test_m_module_with_relative_import(python, env):
    plain, shim = run_both(python, ["-m", "pkg.mod", "x", "-y"], env)
    assert_same(plain, shim)
    report = json.loads(shim.stdout)
    assert report["argv"] == [os.path.join(TARGETS, "pkg", "mod.py"), "x",
                              "-y"]
    assert report["argv_during_import"] == [
        "-c" if version_of(python) < (3, 0) else "-m", "x", "-y"]
    assert report["name"] == "__main__"
    assert report["package"] == "pkg"
    assert report["relative"] == "relative import ok"
    assert report["is_sys_main"] is True


def test_m_package_with_dunder_main(python, env):
    plain, shim = run_both(python, ["-m", "pkg", "arg"], env)
    assert_same(plain, shim)
    report = json.loads(shim.stdout)
    assert report["argv"] == [os.path.join(TARGETS, "pkg", "__main__.py"),
                              "arg"]
    assert report["package"] == "pkg"
    assert report["relative"] == "relative import ok"


def test_m_sys_path0(python, env):
    plain, shim = run_both(python, ["-m", "pkg.mod"], env)
    assert_same(plain, shim)
    expected = "" if version_of(python) < (3, 7) else TARGETS
    assert json.loads(shim.stdout)["path0"] == expected


def test_folder_with_dunder_main(python, env):
    plain, shim = run_both(python, ["folder", "z"], env)
    assert_same(plain, shim)
    report = json.loads(shim.stdout)
    assert report["argv"] == ["folder", "z"]
    assert report["path0"] == ("folder" if version_of(python) < (3, 9)
                               else os.path.join(TARGETS, "folder"))


def test_zip_file_with_dunder_main(python, env, tmp_path):
    import zipfile
    with zipfile.ZipFile(str(tmp_path / "app.zip"), "w") as archive:
        archive.write(os.path.join(TARGETS, "_report.py"), "_report.py")
        archive.writestr("__main__.py", "import _report\n"
                         "_report.emit(_report.main_report(globals()))\n")
    plain, shim = run_both(python, ["app.zip", "q"], env, cwd=str(tmp_path))
    assert_same(plain, shim)
    report = json.loads(shim.stdout)
    assert report["argv"] == ["app.zip", "q"]
    assert report["name"] == "__main__"


def test_compiled_script(python, env, tmp_path):
    shutil.copy(os.path.join(TARGETS, "show.py"), str(tmp_path / "c.py"))
    shutil.copy(os.path.join(TARGETS, "_report.py"), str(tmp_path))
    subprocess.check_call([python, "-c", "import py_compile; "
                           "py_compile.compile('c.py', cfile='c.pyc')"],
                          cwd=str(tmp_path), env=env)
    plain, shim = run_both(python, ["c.pyc"], env, cwd=str(tmp_path))
    assert_same(plain, shim)
    assert json.loads(shim.stdout)["loader"] == (
        None if version_of(python) < (3, 0) else "SourcelessFileLoader")


# -- stdin, late globals ------------------------------------------------------

def test_stdin_passthrough(python, env):
    plain, shim = run_both(python, ["echo_stdin.py"], env,
                           stdin="hello\nworld\n")
    assert_same(plain, shim)
    assert shim.stdout == "HELLO\nWORLD\n"
    assert shim.stderr == "read 12 characters\n"


def test_program_from_stdin(python, env):
    program = ("import sys\n"
               "print([sys.argv, sys.path[0], __file__, __name__])\n"
               "def fail():\n"
               "    raise ValueError('from stdin')\n"
               "fail()\n")
    plain, shim = run_both(python, ["-", "a"], env, stdin=program)
    assert_same(plain, shim)
    assert shim.returncode == 1
    assert shim.stdout.replace("u'", "'") == \
        "[['-', 'a'], '', '<stdin>', '__main__']\n"
    assert shim.stderr == (
        "Traceback (most recent call last):\n"
        '  File "<stdin>", line 5, in <module>\n'
        '  File "<stdin>", line 4, in fail\n'
        "ValueError: from stdin\n")


def test_globals_outlive_the_script_body(python, env):
    # runpy.run_path's temporary module would have its globals cleared on
    # Python 2 once the body returns; threads and atexit still need them.
    plain, shim = run_both(python, ["late_globals.py"], env)
    assert_same(plain, shim)
    assert shim.stdout == "thread: still here\natexit: still here\n"


# -- start-up errors ----------------------------------------------------------

def test_missing_script(python, env):
    plain, shim = run_both(python, ["no_such_script.py"], env)
    assert_same(plain, shim)
    shown = "no_such_script.py" if version_of(python) < (3, 9) else \
        os.path.join(TARGETS, "no_such_script.py")
    assert shim.returncode == 2
    assert shim.stderr == (
        "%s: can't open file '%s': [Errno 2] No such file or directory\n"
        % (python, shown))


def test_missing_module(python, env):
    plain, shim = run_both(python, ["-m", "no_such_module_xyz"], env)
    assert_same(plain, shim)
    assert shim.returncode == 1
    assert shim.stderr.endswith(": No module named no_such_module_xyz\n")


def test_folder_without_dunder_main(python, env, tmp_path):
    (tmp_path / "empty").mkdir()
    plain, shim = run_both(python, ["empty"], env, cwd=str(tmp_path))
    assert_same(plain, shim)
    shown = "empty" if version_of(python) < (3, 9) else \
        str(tmp_path / "empty")
    assert shim.returncode == 1
    assert shim.stderr == "%s: can't find '__main__' module in '%s'\n" % (
        shim.stderr.split(":")[0], shown)


# -- the runner's own command line --------------------------------------------

def test_help(python, env):
    result = run(python, ["-m", "boto_sigv4_shim", "--help"], env)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(
        "usage: python -m boto_sigv4_shim [options] script.py [args ...]\n")
    for text in ("--region REGION", "-v, --verbose", "--version",
                 "autoload enable", '"./autoload" or after "--"'):
        assert text in result.stdout


def test_version(python, env):
    result = run(python, ["-m", "boto_sigv4_shim", "--version"], env)
    assert (result.returncode, result.stdout, result.stderr) == \
        (0, "boto_sigv4_shim %s\n" % shim_version(), "")


def test_no_target_is_a_usage_error(python, env):
    result = run(python, ["-m", "boto_sigv4_shim"], env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage: python -m boto_sigv4_shim")
    assert result.stderr.endswith(
        "boto_sigv4_shim: error: no script or -m module given\n")


def test_unknown_option_is_a_usage_error(python, env):
    result = run(python, ["-m", "boto_sigv4_shim", "--frobnicate", "show.py"],
                 env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "unknown option --frobnicate" in result.stderr


def test_script_named_autoload(python, env, tmp_path):
    shutil.copy(os.path.join(TARGETS, "show.py"), str(tmp_path / "autoload"))
    shutil.copy(os.path.join(TARGETS, "_report.py"), str(tmp_path))
    for args in (["./autoload", "x"], ["--", "autoload", "x"]):
        result = run(python, ["-m", "boto_sigv4_shim"] + args, env,
                     cwd=str(tmp_path))
        assert (result.returncode, result.stderr) == (0, "")
        assert json.loads(result.stdout)["argv"] == [args[-2], "x"]


def test_double_dash_then_dash_named_script(python, env, tmp_path):
    shutil.copy(os.path.join(TARGETS, "show.py"), str(tmp_path / "-v.py"))
    shutil.copy(os.path.join(TARGETS, "_report.py"), str(tmp_path))
    result = run(python, ["-m", "boto_sigv4_shim", "--", "-v.py"], env,
                 cwd=str(tmp_path))
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout)["argv"] == ["-v.py"]


def test_runner_module_is_not_imported_twice(python, env):
    result = run(python, ["-m", "boto_sigv4_shim", "runner_once.py"], env)
    assert (result.returncode, result.stdout, result.stderr) == \
        (0, "__main__ True\n", "")


# -- the shim inside the target -----------------------------------------------

def test_shim_installed_before_target_imports_boto(python, env):
    result = run(python, ["-m", "boto_sigv4_shim", "check_shim.py"], env)
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {
        "shim_imported": True, "installed": True, "boto_before": False,
        "region_env": None, "s3_init": "FunctionWrapper"}


def test_plain_python_has_no_shim(python, env):
    result = run(python, ["check_shim.py"], env)
    assert (result.returncode, result.stderr) == (0, "")
    # boto 2 imports on 3.12+ only with the shim's import fixes.
    assert json.loads(result.stdout) == {
        "shim_imported": False, "installed": False, "boto_before": False,
        "region_env": None, "s3_init": "function"
        if version_of(python) < (3, 12) else "ImportError"}


def test_region_option(python, env):
    for options in (["--region", "eu-west-2"], ["--region=eu-west-2"]):
        result = run(python, ["-m", "boto_sigv4_shim"] + options +
                     ["check_shim.py"], env)
        assert (result.returncode, result.stderr) == (0, "")
        assert json.loads(result.stdout)["region_env"] == "eu-west-2"


def test_region_option_rejects_a_non_region(python, env):
    result = run(python, ["-m", "boto_sigv4_shim", "--region", "eu-west-2a",
                          "check_shim.py"], env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage: python -m boto_sigv4_shim")
    assert result.stderr.splitlines()[-1].startswith(
        "boto_sigv4_shim: 'eu-west-2a' (from --region) is not a valid region "
        "name")


def test_verbose_logs_to_stderr(python, env):
    result = run(python, ["-m", "boto_sigv4_shim", "-v", "exits.py", "0"], env)
    assert result.returncode == 0
    assert result.stdout == ""
    assert "boto_sigv4_shim: INFO: boto_sigv4_shim %s installed\n" \
        % shim_version() in result.stderr


def test_quiet_by_default(python, env):
    result = run(python, ["-m", "boto_sigv4_shim", "exits.py", "0"], env)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("switch", ["env", "boto_config"])
def test_off_switch_runner_just_runs_the_target(python, tmp_path, switch):
    if switch == "env":
        env = clean_env(tmp_path, BOTO_SIGV4_SHIM_DISABLE="1")
    else:
        env = clean_env(tmp_path,
                        boto_config="[boto_sigv4_shim]\ndisable = true\n")
    result = run(python, ["-m", "boto_sigv4_shim", "check_shim.py"], env)
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout) == {
        "shim_imported": True, "installed": False, "boto_before": False,
        "region_env": None, "s3_init": "function"}
    plain, shim = run_both(python, ["boom.py"], env)
    assert_same(plain, shim)
