"""Route real AWS host names to the loopback AWS stand-in, inside a client.

Runs unchanged on Python 2.7 and 3.6-3.13, standard library only: it is
loaded by a ``.pth`` file when a client interpreter starts, so boto code
connects to ``s3.amazonaws.com:443`` by its real name (Host header, SNI and
certificate checks all see the real name) while the socket really goes to
``127.0.0.1:<front's TLS port>``.  /etc/hosts is never touched.

:func:`activate` patches, in the ``socket`` module, ``getaddrinfo``,
``gethostbyname``, ``gethostbyname_ex`` and ``socket.connect`` /
``connect_ex``:

* a name ending in one of ``config["suffixes"]`` resolves to 127.0.0.1, its
  port mapped through ``config["ports"]`` (``{"443": 50443, "80": 50080}``;
  other ports are kept);
* loopback names and addresses pass through unchanged;
* every other name or address -- the instance metadata service
  169.254.169.254, example.com, a public IP -- raises ``socket.gaierror``
  (resolution) or ``socket.error`` (connect) saying the test rig blocks it.
  Nothing ever leaves the machine.

:func:`activate_from_env` does the same from the JSON in ``SHIM_TEST_ROUTE``
(``{"suffixes": [...], "ports": {"443": N, "80": M}}``); it does nothing
when the variable is unset and never raises.
"""
import errno
import json
import os
import socket
import sys

ENV_VAR = "SHIM_TEST_ROUTE"
LOOPBACK = "127.0.0.1"
_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost",
                   "ip6-loopback")
_SERVICE_PORTS = {"https": "443", "http": "80"}
# The state lives on the socket module, not here, so that two copies of this
# file (imported under different names) still patch only once.
_STATE_ATTR = "_shim_test_route"


class _State(object):
    def __init__(self, originals):
        self.originals = originals
        self.suffixes = ()
        self.ports = {}


def _native(text):
    """``text`` as the native ``str`` type (bytes on Python 2, text on 3)."""
    if isinstance(text, str):
        return text
    if isinstance(text, bytes):
        return text.decode("ascii", "replace")
    return text.encode("ascii", "replace")  # unicode on Python 2


def _state():
    return getattr(socket, _STATE_ATTR, None)


def _is_loopback(host):
    """True for loopback names, 127.0.0.0/8, ::1 and the local wildcard."""
    if host is None:
        return True
    name = _native(host).strip().lower().rstrip(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name in ("", "0.0.0.0", "::", "::1", "0:0:0:0:0:0:0:1"):
        return True
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    parts = name.split(".")
    return (len(parts) == 4 and parts[0] == "127"
            and all(part.isdigit() for part in parts))


def _routed(host):
    """True when ``host`` ends with one of the routed suffixes."""
    state = _state()
    if state is None or host is None:
        return False
    name = _native(host).strip().lower().rstrip(".")
    for suffix in state.suffixes:
        if name == suffix or name.endswith("." + suffix):
            return True
    return False


def _map_port(port):
    """The front's port for ``port`` (443/80 by number or service name)."""
    state = _state()
    if port is None:
        return None
    key = _native(port) if not isinstance(port, int) else str(port)
    key = _SERVICE_PORTS.get(key, key)
    if key in state.ports:
        return state.ports[key]
    return int(key) if key.isdigit() else port


def _blocked(host, what):
    return ("boto_sigv4_shim test rig blocks %s %r: only loopback and names "
            "ending in %s are reachable (SHIM_TEST_ROUTE)"
            % (what, _native(host) if host is not None else host,
               ", ".join(_state().suffixes) or "(no suffix)"))


def _getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    original = _state().originals["getaddrinfo"]
    if _is_loopback(host):
        return original(host, port, family, type, proto, flags)
    if _routed(host):
        if family not in (0, socket.AF_INET):
            family = socket.AF_INET  # the front listens on IPv4 only
        return original(LOOPBACK, _map_port(port), family, type, proto, flags)
    raise socket.gaierror(socket.EAI_NONAME, _blocked(host, "resolving"))


def _gethostbyname(host):
    if _is_loopback(host):
        return _state().originals["gethostbyname"](host)
    if _routed(host):
        return LOOPBACK
    raise socket.gaierror(socket.EAI_NONAME, _blocked(host, "resolving"))


def _gethostbyname_ex(host):
    if _is_loopback(host):
        return _state().originals["gethostbyname_ex"](host)
    if _routed(host):
        return (_native(host), [], [LOOPBACK])
    raise socket.gaierror(socket.EAI_NONAME, _blocked(host, "resolving"))


def _checked_address(sock, address):
    """The address to really connect to, or raise for a blocked one."""
    if sock.family not in (socket.AF_INET, getattr(socket, "AF_INET6", None)):
        return address  # AF_UNIX and friends: local by nature
    if not isinstance(address, tuple) or not address:
        return address
    host = address[0]
    if _is_loopback(host):
        return address
    if _routed(host) and sock.family == socket.AF_INET:
        return (LOOPBACK, _map_port(address[1])) + tuple(address[2:])
    raise socket.error(errno.ECONNREFUSED, _blocked(host, "connecting to"))


def _make_connect(name):
    def connect(self, address):
        address = _checked_address(self, address)
        return _state().originals[name](self, address)
    connect.__name__ = name
    return connect


_MODULE_FUNCTIONS = {"getaddrinfo": _getaddrinfo,
                     "gethostbyname": _gethostbyname,
                     "gethostbyname_ex": _gethostbyname_ex}
_SOCKET_METHODS = ("connect", "connect_ex")


def _install():
    state = _state()
    if state is not None:
        return state
    originals = {}
    for name, replacement in _MODULE_FUNCTIONS.items():
        originals[name] = getattr(socket, name)
        setattr(socket, name, replacement)
    for name in _SOCKET_METHODS:
        originals[name] = getattr(socket.socket, name)
        setattr(socket.socket, name, _make_connect(name))
    state = _State(originals)
    setattr(socket, _STATE_ATTR, state)
    return state


def activate(config):
    """Route ``config["suffixes"]`` to 127.0.0.1 with ``config["ports"]``.

    Calling it again replaces the configuration (the patches stay single).
    """
    suffixes = tuple(_native(s).strip().lower().strip(".")
                     for s in config.get("suffixes", ()))
    if not all(suffixes):
        raise ValueError("empty suffix in %r" % (config.get("suffixes"),))
    ports = {}
    for key, value in (config.get("ports") or {}).items():
        ports[_native(str(key))] = int(value)
    state = _install()
    state.suffixes = suffixes
    state.ports = ports
    return state


def deactivate():
    """Undo :func:`activate` (restores the original socket functions)."""
    state = _state()
    if state is None:
        return
    for name in _MODULE_FUNCTIONS:
        setattr(socket, name, state.originals[name])
    for name in _SOCKET_METHODS:
        setattr(socket.socket, name, state.originals[name])
    delattr(socket, _STATE_ATTR)


def is_active():
    return _state() is not None


def activate_from_env(environ=None):
    """Activate from ``$SHIM_TEST_ROUTE``; True if routing is now active.

    Never raises: this runs at interpreter start-up, where an exception would
    break every program.  Problems go to stderr.
    """
    try:
        raw = (os.environ if environ is None else environ).get(ENV_VAR)
        if not raw:
            return False
        config = json.loads(raw)
        if not isinstance(config, dict):
            raise ValueError("expected a JSON object, got %r" % (config,))
        activate(config)
        return True
    except Exception as exc:  # noqa: BLE001 -- must never break start-up
        try:
            sys.stderr.write("boto_sigv4_shim test route: ignoring %s: %s: %s\n"
                             % (ENV_VAR, type(exc).__name__, exc))
        except Exception:  # noqa: BLE001
            pass
        return False
