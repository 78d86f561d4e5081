"""The signing clock: UTC now, plus any correction learnt from a server.

Pure: no boto import.  ``offset`` stays 0 until a server tells us our clock
is off (clock-skew handling builds on it).
"""
import threading
import time

_lock = threading.Lock()
_offset = 0.0


def now():
    """Seconds since the epoch, corrected."""
    return time.time() + _offset


def offset():
    return _offset


def set_offset(seconds):
    global _offset
    with _lock:
        _offset = float(seconds)


def amz_date(when=None):
    """``YYYYMMDDTHHMMSSZ`` for ``when`` (default: corrected now)."""
    return time.strftime("%Y%m%dT%H%M%SZ",
                         time.gmtime(now() if when is None else when))
