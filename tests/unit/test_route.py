"""tests/support/route.py under every client interpreter, as a subprocess.

Each run starts a plain HTTP listener on a free loopback port, routes AWS
names to it and checks that httplib/http.client, urllib and raw sockets to
``s3.amazonaws.com`` land there, while the instance metadata address and
other names are refused.  A tripwire installed before route.py catches any
lookup or connect that would have left loopback, so a broken route fails the
test without sending anything anywhere.
"""
import glob
import os
import subprocess
import sys

import pytest

from tests.support import clients

SUPPORT = os.path.join(clients.REPO, "tests", "support")

SCRIPT = r'''
import json, os, socket, sys, threading
sys.path.insert(0, sys.argv[1])
try:
    import http.client as httplib
    from http.server import BaseHTTPRequestHandler, HTTPServer
    from urllib.request import urlopen
    from urllib.error import URLError
except ImportError:
    import httplib
    from BaseHTTPServer import BaseHTTPRequestHandler, HTTPServer
    from urllib2 import urlopen, URLError

LEAKS = []
LOOPBACK = (None, "", "127.0.0.1", "localhost", "::1")

def tripwire(name, original):
    def check(*args, **kwargs):
        host = args[0]
        if host not in LOOPBACK:
            LEAKS.append((name, host))
            raise AssertionError("route.py leaked %s(%r)" % (name, host))
        return original(*args, **kwargs)
    return check

def tripwire_connect(name, original):
    def check(self, address):
        if self.family == socket.AF_INET and address[0] != "127.0.0.1":
            LEAKS.append((name, address))
            raise AssertionError("route.py leaked %s(%r)" % (name, address))
        return original(self, address)
    return check

for _name in ("getaddrinfo", "gethostbyname", "gethostbyname_ex"):
    setattr(socket, _name, tripwire(_name, getattr(socket, _name)))
for _name in ("connect", "connect_ex"):
    setattr(socket.socket, _name,
            tripwire_connect(_name, getattr(socket.socket, _name)))

import route

SEEN = []

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        SEEN.append((self.server.server_port, self.headers.get("Host"),
                     self.path))
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

def listener():
    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever)
    thread.daemon = True
    thread.start()
    return server.server_port

def expect_error(what, call, kinds):
    try:
        call()
    except kinds as exc:
        text = str(getattr(exc, "reason", exc))
        assert "test rig blocks" in text, (what, text)
        return
    raise AssertionError("%s was not refused" % what)

def check():
    port443, port80 = listener(), listener()
    os.environ.pop(route.ENV_VAR, None)
    assert route.activate_from_env() is False and not route.is_active()
    os.environ[route.ENV_VAR] = json.dumps({
        "suffixes": ["amazonaws.com", "amazonaws.com.cn", ".test"],
        "ports": {"443": port443, "80": port80}})
    assert route.activate_from_env() is True
    assert route.activate_from_env() is True      # idempotent
    assert socket.getaddrinfo.__name__ == "_getaddrinfo"

    # A bad variable is reported on stderr and never raises.
    os.environ[route.ENV_VAR] = "{not json"
    assert route.activate_from_env() is False
    assert route.is_active()

    info = socket.getaddrinfo("s3.amazonaws.com", 443, 0, socket.SOCK_STREAM)
    assert info[0][4] == ("127.0.0.1", port443), info
    info = socket.getaddrinfo("minio.test", "http", 0, socket.SOCK_STREAM)
    assert info[0][4] == ("127.0.0.1", port80), info
    assert socket.gethostbyname("ec2.cn-north-1.amazonaws.com.cn") == "127.0.0.1"

    conn = httplib.HTTPConnection("s3.amazonaws.com", 443, timeout=10)
    conn.request("GET", "/via-httplib")
    response = conn.getresponse()
    assert response.status == 200 and response.read() == b"ok"
    conn.close()
    assert SEEN[-1] == (port443, "s3.amazonaws.com:443", "/via-httplib"), SEEN

    body = urlopen("http://b.s3.eu-central-1.amazonaws.com/via-urllib",
                   timeout=10).read()
    assert body == b"ok"
    assert SEEN[-1] == (port80, "b.s3.eu-central-1.amazonaws.com",
                        "/via-urllib"), SEEN

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(10)
    sock.connect(("sts.amazonaws.com", 443))
    assert sock.getpeername() == ("127.0.0.1", port443)
    sock.close()
    sock = socket.create_connection(("localhost", port80), timeout=10)
    sock.close()

    for host in ("169.254.169.254", "example.com", "8.8.8.8"):
        expect_error("getaddrinfo " + host,
                     lambda: socket.getaddrinfo(host, 80), socket.gaierror)
        expect_error("gethostbyname " + host,
                     lambda: socket.gethostbyname(host), socket.gaierror)
        expect_error("create_connection " + host,
                     lambda: socket.create_connection((host, 80), timeout=1),
                     socket.error)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        expect_error("socket.connect " + host,
                     lambda: sock.connect((host, 80)), socket.error)
        sock.close()
    expect_error("urlopen metadata", lambda: urlopen(
        "http://169.254.169.254/latest/meta-data/", timeout=1), URLError)
    conn = httplib.HTTPConnection("example.com", 80, timeout=1)
    expect_error("httplib example.com", lambda: conn.request("GET", "/"),
                 socket.error)

    route.deactivate()
    assert not route.is_active()
    assert socket.getaddrinfo.__name__ == "check"
    assert LEAKS == [], LEAKS

check()
sys.stdout.write("ROUTE-OK %d.%d\n" % sys.version_info[:2])
'''


def _pyenv_python(version):
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found = sorted(glob.glob(os.path.join(root, "versions", version + ".*",
                                          "bin", "python")))
    return found[-1] if found else None


def _interpreter(version):
    # The bare interpreter first: the script runs with -S, and a 2.7
    # virtualenv (virtualenv<20.22) finds its standard library only through
    # site.
    return _pyenv_python(version) or clients.venv_python(version)


@pytest.mark.parametrize("version", clients.EXPECTED_VERSIONS)
def test_route_under_interpreter(version, tmp_path):
    python = _interpreter(version)
    if python is None:
        pytest.skip("no Python %s (neither a client venv under %s nor pyenv)"
                    % (version, clients.venv_dir()))
    _run_script(python, tmp_path)


def test_route_under_main_interpreter(tmp_path):
    _run_script(sys.executable, tmp_path)


def _run_script(python, tmp_path):
    script = tmp_path / "route_check.py"
    script.write_text(SCRIPT)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "PYTHONDONTWRITEBYTECODE": "1"}
    # -S: no site-packages, so no .pth file activates routing early.
    result = subprocess.run([python, "-S", str(script), SUPPORT], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ROUTE-OK" in result.stdout
    assert "ignoring SHIM_TEST_ROUTE" in result.stderr
