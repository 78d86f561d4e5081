"""Run moto's standalone server on a free loopback port, as a subprocess.

The :class:`~tests.support.front.AwsFront` forwards every request it accepts
to this server; moto never sees a client directly.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

STARTUP_TIMEOUT = 30.0

# Variables that must never reach moto: the client-side routing (moto would
# then route its own sockets) and proxies (nothing may leave loopback).
_DROPPED = ("SHIM_TEST_ROUTE", "http_proxy", "https_proxy", "all_proxy",
            "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")

_MOTO_SETTINGS = {
    # Regions opened after this moto release (and made-up future ones).
    "MOTO_ALLOW_NONEXISTENT_REGION": "true",
    "MOTO_ENABLE_ISO_REGIONS": "true",
    # Loading the default AMIs for each EC2 region costs seconds per region.
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
    finally:
        sock.close()


def _answers(port):
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=0.5)
    except (OSError, socket.error):
        return False
    sock.close()
    return True


class MotoServer(object):
    """``python -m moto.server -H 127.0.0.1 -p <port>`` for the test session.

    ``python`` defaults to ``$SHIM_SERVER_PYTHON`` or the current interpreter.
    Use as a context manager or call :meth:`start` / :meth:`stop`.
    """

    def __init__(self, python=None):
        self.python = (python or os.environ.get("SHIM_SERVER_PYTHON")
                       or sys.executable)
        self.port = None
        self.process = None
        self._log = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def environment(self):
        env = dict((key, value) for key, value in os.environ.items()
                   if key not in _DROPPED)
        env.update(_MOTO_SETTINGS)
        return env

    def start(self):
        if self.process is not None:
            return self
        self.port = free_port()
        self._log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [self.python, "-m", "moto.server", "-H", "127.0.0.1",
             "-p", str(self.port)],
            stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, env=self.environment())
        self._wait_until_up()
        return self

    def _wait_until_up(self):
        deadline = time.time() + STARTUP_TIMEOUT
        while time.time() < deadline:
            if self.process.poll() is not None:
                self._fail("exited with status %s" % self.process.returncode)
            if _answers(self.port):
                return
            time.sleep(0.1)
        self._fail("did not answer on port %d within %.0f s"
                   % (self.port, STARTUP_TIMEOUT))

    def output(self):
        """What moto wrote to stdout/stderr so far."""
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")

    def _fail(self, why):
        output = self.output()
        self.stop()
        raise RuntimeError("moto server (%s -m moto.server) %s; its output:\n%s"
                           % (self.python, why, output))

    def stop(self):
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
