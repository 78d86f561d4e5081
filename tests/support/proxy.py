"""A small HTTP CONNECT proxy on 127.0.0.1 for the TLS/proxy tests.

Threaded and bounded (at most ``max_connections`` tunnels at once; more get
``503``).  It understands only ``CONNECT host:port``; any other method gets
``405``.  Each CONNECT is recorded in :attr:`ConnectProxy.records` (target,
``Proxy-Authorization``, ``User-Agent``, the status answered).  With
``credentials=("user", "pass")`` a CONNECT without the matching Basic
``Proxy-Authorization`` gets ``407``.

Nothing leaves loopback: a target is forwarded only through ``routes``
(``{"s3.amazonaws.com:443": ("127.0.0.1", 50443)}``), or directly when it is
itself a loopback address; anything else gets ``502`` and is recorded.
"""
import base64
import select
import socket
import threading

MAX_HEAD = 64 * 1024
_LOOPBACK = ("127.0.0.1", "localhost")


class ConnectRecord(object):
    FIELDS = ("target", "proxy_authorization", "user_agent", "status",
              "request_line", "headers")

    def __init__(self, **fields):
        for name in self.FIELDS:
            setattr(self, name, fields.get(name))

    def __repr__(self):
        return "<CONNECT %s -> %s auth=%r>" % (self.target, self.status,
                                               self.proxy_authorization)


def basic(user, password):
    token = base64.b64encode(("%s:%s" % (user, password)).encode("utf-8"))
    return "Basic " + token.decode("ascii")


class ConnectProxy(object):
    def __init__(self, routes=None, credentials=None, max_connections=8,
                 timeout=10.0):
        self.routes = dict(routes or {})
        self.credentials = credentials
        self.timeout = timeout
        self.records = []
        self._slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self._listener = None
        self._thread = None
        self._workers = []
        self._open = set()
        self._stopping = False

    # -- lifecycle -----------------------------------------------------------

    @property
    def port(self):
        return self._listener.getsockname()[1]

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(0.2)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept_loop,
                                        name="connect-proxy")
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self):
        self._stopping = True
        if self._thread is not None:
            self._thread.join(5)
        if self._listener is not None:
            self._listener.close()
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            _close(sock)
        for worker in list(self._workers):
            worker.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def targets(self):
        with self._lock:
            return [r.target for r in self.records]

    def clear(self):
        with self._lock:
            del self.records[:]

    # -- serving -------------------------------------------------------------

    def _accept_loop(self):
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except (OSError, socket.error):
                return
            if not self._slots.acquire(False):
                _reply(client, 503, "Too Many Tunnels")
                _close(client)
                continue
            worker = threading.Thread(target=self._serve, args=(client,))
            worker.daemon = True
            self._workers = [w for w in self._workers if w.is_alive()]
            self._workers.append(worker)
            worker.start()

    def _track(self, sock):
        with self._lock:
            self._open.add(sock)

    def _serve(self, client):
        upstream = None
        self._track(client)
        try:
            client.settimeout(self.timeout)
            head, rest = _read_head(client)
            if head is None:
                return
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split()
            headers = []
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers.append((name.strip(), value.strip()))
            record = ConnectRecord(
                request_line=lines[0], headers=headers,
                target=parts[1] if len(parts) > 1 else None,
                proxy_authorization=_header(headers, "Proxy-Authorization"),
                user_agent=_header(headers, "User-Agent"))
            with self._lock:
                self.records.append(record)
            if len(parts) != 3 or parts[0].upper() != "CONNECT":
                record.status = 405
                _reply(client, 405, "Method Not Allowed")
                return
            if (self.credentials is not None and record.proxy_authorization
                    != basic(*self.credentials)):
                record.status = 407
                _reply(client, 407, "Proxy Authentication Required",
                       'Proxy-Authenticate: Basic realm="test"\r\n')
                return
            address = self._route(record.target)
            if address is None:
                record.status = 502
                _reply(client, 502, "Not Routed")
                return
            try:
                upstream = socket.create_connection(address, self.timeout)
            except (OSError, socket.error):
                record.status = 502
                _reply(client, 502, "Upstream Unreachable")
                return
            self._track(upstream)
            record.status = 200
            client.sendall(b"HTTP/1.0 200 Connection established\r\n\r\n")
            if rest:
                upstream.sendall(rest)
            _relay(client, upstream, self.timeout)
        except (OSError, socket.error, ValueError):  # ValueError: stop()
            pass
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    with self._lock:
                        self._open.discard(sock)
                    _close(sock)
            self._slots.release()

    def _route(self, target):
        if target in self.routes:
            return self.routes[target]
        host, _, port = (target or "").rpartition(":")
        if host in _LOOPBACK and port.isdigit():
            return (host, int(port))
        return None


def _header(headers, name):
    for key, value in headers:
        if key.lower() == name.lower():
            return value
    return None


def _read_head(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_HEAD:
            return None, None
        chunk = sock.recv(4096)
        if not chunk:
            return None, None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _reply(sock, status, reason, extra=""):
    body = ("%d %s\n" % (status, reason)).encode("ascii")
    head = ("HTTP/1.0 %d %s\r\n%sContent-Length: %d\r\n"
            "Connection: close\r\n\r\n" % (status, reason, extra, len(body)))
    try:
        sock.sendall(head.encode("ascii") + body)
    except (OSError, socket.error):
        pass


def _relay(a, b, timeout):
    sockets = [a, b]
    while True:
        readable, _, broken = select.select(sockets, [], sockets, timeout)
        if broken or not readable:
            return
        for sock in readable:
            data = sock.recv(65536)
            if not data:
                return
            (b if sock is a else a).sendall(data)


def _close(sock):
    try:
        sock.close()
    except (OSError, socket.error):
        pass
