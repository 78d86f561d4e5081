"""Build one client environment per supported interpreter found on this machine.

Run by ``make clients`` with the main test interpreter.  For each version in
``clients.EXPECTED_VERSIONS`` it looks for the interpreter (pyenv first, then
``pythonX.Y`` on PATH), creates ``.venv/clients/pyXY`` (virtualenv<20.22 for
2.7, ``-m venv`` otherwise), installs this package with ``pip install <repo>``
(which proves it installs there) and drops the loopback-routing ``.pth``.  A
missing interpreter is reported, never silently passed: the tests then skip
that version saying why.  An environment is rebuilt only when the package's
sources changed since it was built.
"""
from __future__ import print_function

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))
from tests.support import clients  # noqa: E402

OLD_PIP = {"3.6": "pip>=21,<22"}
ROUTE_PTH = "import shim_test_route; shim_test_route.activate_from_env()\n"


def pyenv_root():
    root = os.environ.get("PYENV_ROOT")
    if root:
        return root
    try:
        return subprocess.check_output(["pyenv", "root"],
                                       universal_newlines=True).strip()
    except (OSError, subprocess.CalledProcessError):
        return os.path.expanduser("~/.pyenv")


def find_interpreter(version):
    def patch_level(path):
        name = path.split(os.sep + "versions" + os.sep)[1].split(os.sep)[0]
        return [int(p) if p.isdigit() else 0 for p in name.split(".")]

    found = glob.glob(os.path.join(pyenv_root(), "versions", version + ".*",
                                   "bin", "python" + version))
    found = [p for p in found if ".".join(
        p.split(os.sep + "versions" + os.sep)[1].split(".")[:2]) == version]
    if found:
        return sorted(found, key=patch_level)[-1]
    return shutil.which("python" + version)


def source_digest():
    digest = hashlib.sha256()
    repo = clients.REPO
    paths = sorted(glob.glob(os.path.join(repo, "boto_sigv4_shim", "*.py")))
    paths += [os.path.join(repo, n) for n in ("setup.cfg", "pyproject.toml")]
    paths.append(os.path.join(HERE, "route.py"))
    paths.append(os.path.join(clients.REPO, "requirements-full.txt"))
    for path in paths:
        with open(path, "rb") as handle:
            digest.update(path.encode() + b"\0" + handle.read())
    return digest.hexdigest()


# What `pip install .` needs of the checkout.  Older pips (2.7's) copy the
# whole folder they build from, .venv included, and may meet another build
# writing there: each install builds from a clean copy of just these.
SOURCE_FILES = ("setup.cfg", "pyproject.toml", "README.md", "boto_sigv4_shim")


def clean_source_copy():
    target = os.path.join(tempfile.mkdtemp(prefix="shim-src-"), "src")
    os.mkdir(target)
    for name in SOURCE_FILES:
        path = os.path.join(clients.REPO, name)
        if os.path.isdir(path):
            shutil.copytree(path, os.path.join(target, name),
                            ignore=shutil.ignore_patterns("__pycache__",
                                                          "*.pyc"))
        else:
            shutil.copy(path, target)
    return target


def run(cmd, log):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    log.append("$ " + " ".join(cmd) + "\n" + proc.stdout)
    if proc.returncode:
        raise RuntimeError("\n".join(log))


def build(version, digest, full=False):
    interpreter = find_interpreter(version)
    if interpreter is None:
        return version, "SKIPPED: no Python %s interpreter found (pyenv or " \
                        "PATH)" % version
    where = os.path.join(clients.REPO, ".venv", "full") if full \
        else clients.venv_dir()
    target = os.path.join(where, "py" + version.replace(".", ""))
    stamp = os.path.join(target, ".shim-built")
    python = os.path.join(target, "bin", "python")
    if os.path.exists(stamp) and open(stamp).read() == digest:
        return version, "up to date (%s)" % interpreter
    log = []
    if not os.path.exists(python):
        if version == "2.7":
            run([sys.executable, "-m", "virtualenv", "-q", "-p", interpreter,
                 target], log)
        else:
            run([interpreter, "-m", "venv", target], log)
    if version in OLD_PIP:
        # The pip Python 3.6 ships (18.1) cannot build a pyproject.toml
        # package (nor pick the newest pip it can run): pin one.
        run([python, "-m", "pip", "install", "-q",
             "--disable-pip-version-check", OLD_PIP[version]], log)
    if full:
        run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "-r", os.path.join(clients.REPO, "requirements-full.txt")], log)
    source = clean_source_copy()
    try:
        run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
             "--force-reinstall", "--no-cache-dir", source], log)
    finally:
        shutil.rmtree(os.path.dirname(source), ignore_errors=True)
    site = subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        universal_newlines=True).strip()
    shutil.copy(os.path.join(HERE, "route.py"),
                os.path.join(site, "shim_test_route.py"))
    with open(os.path.join(site, "shim_test_route.pth"), "w") as handle:
        handle.write(ROUTE_PTH)
    with open(stamp, "w") as handle:
        handle.write(digest)
    return version, "built (%s)" % interpreter


def main(argv):
    """``build_clients.py``: the client environments of every supported
    version; ``build_clients.py --full 3.12 3.13``: full-suite environments
    (pytest, botocore, ...) under .venv/full for those versions."""
    digest = source_digest()
    full = argv[:1] == ["--full"]
    versions = argv[1:] if full else clients.SUPPORTED_VERSIONS
    label = "full-suite Python" if full else "client Python"
    failed = False
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = [pool.submit(build, v, digest, full) for v in versions]
        for future in futures:
            try:
                version, status = future.result()
                print("%s %-5s %s" % (label, version, status))
            except RuntimeError as error:
                failed = True
                print("client environment build FAILED:\n%s" % error)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
