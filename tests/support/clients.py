"""Where the per-interpreter client environments are, and how to run them.

``make test`` builds one virtual environment per pyenv interpreter under
``.venv/clients/py<XY>`` (override the folder with ``SHIM_CLIENT_VENVS``),
each with boto 2.49, wrapt, this package and the loopback routing ``.pth``.
The servers always run from the main test interpreter; only boto 2 clients
run under these.
"""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUPPORTED_VERSIONS = ("2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11",
                      "3.12", "3.13")
# SHIM_CLIENT_VERSIONS narrows the cross-interpreter tests (the suite's extra
# runs on 3.12/3.13 use it to test only their own interpreter there).
EXPECTED_VERSIONS = tuple(
    os.environ.get("SHIM_CLIENT_VERSIONS", "").split() or SUPPORTED_VERSIONS)


def venv_dir():
    return os.environ.get("SHIM_CLIENT_VENVS") or os.path.join(REPO, ".venv",
                                                                "clients")


def full_venv_python(version):
    """The interpreter of the full-suite environment for ``version``."""
    path = os.path.join(REPO, ".venv", "full", "py" + version.replace(".", ""),
                        "bin", "python")
    return path if os.path.exists(path) else None


def venv_python(version):
    """The client interpreter for ``version`` ("2.7", "3.13"), or None."""
    path = os.path.join(venv_dir(), "py" + version.replace(".", ""), "bin",
                        "python")
    return path if os.path.exists(path) else None


def require_python(version):
    """The client interpreter for ``version``, or skip the test saying why."""
    import pytest
    path = venv_python(version)
    if path is None:
        pytest.skip("no client environment for Python %s at %s (make test "
                    "builds it when pyenv has that interpreter)"
                    % (version, venv_dir()))
    return path


def run(python, args, env, timeout=120, cwd=None):
    """Run ``python args...``; return CompletedProcess with text output."""
    return subprocess.run([python] + list(args), env=env, cwd=cwd,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout)


def current_version():
    return "%d.%d" % sys.version_info[:2]
