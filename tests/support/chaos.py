"""A TCP proxy on 127.0.0.1 that breaks HTTP/1.1 connections on purpose.

Placed between a client and the AWS front's plain-HTTP listener (or any
HTTP/1.1 server), it reads each request (head, then ``Content-Length`` bytes
of body; keep-alive connections carry several), decides a fault for it and
forwards it, or not.  Faults (:data:`FAULTS`):

``pass``                 forward, relay the answer;
``reset_request``        read only part of the request (a random share of its
                         body, or of its head when it has none), then reset
                         the connection (RST): an upload broken off mid-way;
``reset_after_request``  read all of the request, never forward it, reset;
``forward_then_reset``   forward it (the server acts on it), drop the answer,
                         reset: the client never learns what happened;
``cut_response``         forward it, relay the answer's head and only part of
                         its body, then close cleanly (FIN): a short body;
``stall``                read it, answer nothing for ``stall_seconds``, then
                         reset: the client's socket timeout fires first;
``respond``              (scripted only) answer with canned bytes instead.

Decisions come from ``random.Random(seed)`` in arrival order, so a
single-threaded client sees the same faults on every run; ``script`` forces
the faults of the first requests (``[("reset_request", None), ("respond",
b"HTTP/1.1 301 ...")]``).  Every request is logged in :attr:`log` as a
:class:`Seen` (method, path, headers, body length received, fault, time).
"""
import random
import socket
import struct
import threading
import time

FAULTS = ("pass", "reset_request", "reset_after_request",
          "forward_then_reset", "cut_response", "stall", "respond")


class Seen(object):
    """One request as the proxy received it."""

    def __init__(self, index, method, path, headers, declared, received,
                 fault, at):
        self.index = index
        self.method = method
        self.path = path
        self.headers = headers        # [(name, value)]
        self.declared = declared      # Content-Length the client announced
        self.received = received      # body bytes the proxy took in
        self.fault = fault
        self.at = at                  # time.time() when the head arrived
        self.response_status = None
        self.response_length = None   # body length of the server's answer
        self.relayed = None           # body bytes passed on to the client

    def header(self, name, default=None):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return default

    def __repr__(self):
        return "<Seen #%d %s %s %s %d/%d -> %s %s/%s>" % (
            self.index, self.method, self.path, self.fault, self.received,
            self.declared, self.response_status, self.relayed,
            self.response_length)


class _Reader(object):
    """Buffered reads from a socket: lines up to a blank line, exact counts."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = b""

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def head(self):
        """Bytes up to and including the blank line, or None at EOF."""
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > 1 << 20 or not self._fill():
                return None
        end = self.buffer.index(b"\r\n\r\n") + 4
        head, self.buffer = self.buffer[:end], self.buffer[end:]
        return head

    def exactly(self, count):
        while len(self.buffer) < count:
            if not self._fill():
                break
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def rest(self):
        """Everything until the peer closes."""
        while self._fill():
            pass
        data, self.buffer = self.buffer, b""
        return data


def _parse_head(head):
    lines = head.decode("iso-8859-1").split("\r\n")
    first = lines[0].split(" ", 2)
    headers = []
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers.append((name.strip(), value.strip()))
    return first, headers


def _header(headers, name):
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def _reset(sock):
    """Close with RST instead of FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                        struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class ChaosProxy(object):
    """See the module docstring.  ``rates``: {fault: probability}."""

    def __init__(self, upstream_port, seed=0, rates=None, script=(),
                 stall_seconds=3.0, upstream_host="127.0.0.1"):
        self.upstream = (upstream_host, upstream_port)
        self.random = random.Random(seed)
        self.rates = dict(rates or {})
        unknown = set(self.rates) - set(FAULTS)
        if unknown:
            raise ValueError("unknown faults %r" % sorted(unknown))
        self.script = list(script)
        self.stall_seconds = stall_seconds
        self.log = []
        self.errors = []
        self._lock = threading.Lock()
        self._server = None
        self._threads = []
        self._sockets = set()
        self._stopping = False

    # ---- lifecycle ------------------------------------------------------

    @property
    def port(self):
        return self._server.getsockname()[1]

    def start(self):
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(128)
        thread = threading.Thread(target=self._accept, name="chaos-accept")
        thread.daemon = True
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self):
        self._stopping = True
        try:
            self._server.close()
        except OSError:
            pass
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.close()
            except OSError:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def faults(self):
        """{fault: count} over the log."""
        counts = {}
        for seen in list(self.log):
            counts[seen.fault] = counts.get(seen.fault, 0) + 1
        return counts

    # ---- serving --------------------------------------------------------

    def _accept(self):
        while not self._stopping:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._connection, args=(client,),
                                      name="chaos-conn")
            thread.daemon = True
            thread.start()

    def _decide(self):
        """(index, fault, canned answer) for the next request."""
        with self._lock:
            index = len(self.log)
            if self.script:
                fault, canned = self.script.pop(0)
                return index, fault, canned
            draw = self.random.random()
            for fault in FAULTS:
                rate = self.rates.get(fault, 0.0)
                if draw < rate:
                    return index, fault, None
                draw -= rate
            return index, "pass", None

    def _share(self, total):
        with self._lock:
            return self.random.randint(0, max(total - 1, 0))

    def _track(self, sock, add):
        with self._lock:
            if add:
                self._sockets.add(sock)
            else:
                self._sockets.discard(sock)

    def _connection(self, client):
        self._track(client, True)
        upstream = None
        reader = _Reader(client)
        try:
            while True:
                head = reader.head()
                if head is None:
                    return
                at = time.time()
                first, headers = _parse_head(head)
                method, path = first[0], first[1]
                declared = int(_header(headers, "content-length") or 0)
                index, fault, canned = self._decide()
                seen = Seen(index, method, path, headers, declared, 0, fault,
                            at)
                with self._lock:
                    self.log.append(seen)
                if fault == "reset_request":
                    if declared:
                        seen.received = len(reader.exactly(
                            self._share(declared)))
                    _reset(client)
                    return
                body = reader.exactly(declared)
                seen.received = len(body)
                if len(body) < declared:
                    return  # the client gave up half-way
                if fault == "reset_after_request":
                    _reset(client)
                    return
                if fault == "stall":
                    time.sleep(self.stall_seconds)
                    _reset(client)
                    return
                if fault == "respond":
                    client.sendall(canned)
                    continue
                if upstream is None:
                    upstream = socket.create_connection(self.upstream,
                                                        timeout=60)
                    self._track(upstream, True)
                    upstream_reader = _Reader(upstream)
                upstream.sendall(head + body)
                answer_head = upstream_reader.head()
                if answer_head is None:
                    _reset(client)
                    return
                (status_line, answer_headers) = _parse_head(answer_head)
                status = int(status_line[1])
                while 100 <= status < 200:
                    # "100 Continue" to an Expect header: the body is
                    # already sent, the client needs only the real answer.
                    answer_head = upstream_reader.head()
                    if answer_head is None:
                        _reset(client)
                        return
                    (status_line, answer_headers) = _parse_head(answer_head)
                    status = int(status_line[1])
                seen.response_status = status
                length = _header(answer_headers, "content-length")
                no_body = method == "HEAD" or status in (204, 304)
                if no_body:
                    answer_body = b""
                elif length is not None:
                    answer_body = upstream_reader.exactly(int(length))
                else:
                    answer_body = upstream_reader.rest()
                seen.response_length = len(answer_body)
                if fault == "forward_then_reset":
                    _reset(client)
                    return
                if fault == "cut_response":
                    keep = self._share(len(answer_body)) if answer_body else 0
                    client.sendall(answer_head + answer_body[:keep])
                    seen.relayed = keep
                    client.shutdown(socket.SHUT_WR)
                    client.close()
                    return
                client.sendall(answer_head + answer_body)
                seen.relayed = len(answer_body)
                closing = (_header(answer_headers, "connection") or "").lower()
                if closing == "close" or (length is None and not no_body):
                    return
        except (OSError, ValueError, IndexError) as error:
            if not self._stopping:
                self.errors.append(repr(error))
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    self._track(sock, False)
                    try:
                        sock.close()
                    except OSError:
                        pass
