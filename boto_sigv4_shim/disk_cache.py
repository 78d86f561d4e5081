"""An optional on-disk bucket-region cache, for short-lived processes.

Off by default.  A process that runs one boto 2 command and exits learns
each bucket's region anew (one wrong-region answer per bucket outside the
connection's region); with this cache the next process starts with what the
last one learnt.  Pure: no boto import.

Settings (``[boto_sigv4_shim]`` in the boto config, or the environment
variable, which wins):

==========================  ========================================  ========
setting                     meaning                                   default
==========================  ========================================  ========
bucket_region_cache         path of the cache file; setting it        (off)
                            switches the cache on
                            (``BOTO_SIGV4_SHIM_BUCKET_REGION_CACHE``)
bucket_region_cache_ttl     seconds an entry is trusted               86400
                            (``BOTO_SIGV4_SHIM_BUCKET_REGION_CACHE_TTL``)
==========================  ========================================  ========

The file is JSON: ``{"version": 1, "entries": {"<partition>/<bucket>":
{"region": "<region>", "time": <epoch seconds>}}}``.

- It is read once per process (the first time a bucket misses the in-memory
  cache) and written on every region learnt: the current file is re-read and
  merged under an exclusive ``flock`` of ``<path>.lock`` (where ``fcntl``
  exists), then replaced atomically (a temporary file in the same folder,
  then ``os.rename``/``os.replace``), with mode 0600.
- Entries older than the TTL (or dated in the future) are ignored.
- Every region read back is validated again (``regions.validate_region``, and
  it must belong to the partition its key names): an edited file can never
  send a request, or credentials, outside AWS or across partitions.
- A missing file is an empty cache.  An unreadable or corrupted file, or
  entries that fail validation, are ignored with one WARNING; a file that
  cannot be written gives one WARNING.  Nothing here ever raises into the
  caller's request.
"""
import errno
import json
import logging
import os
import tempfile
import threading
import time

from . import regions, settings

try:
    import fcntl
except ImportError:  # Windows: no cross-process lock, writes stay atomic
    fcntl = None

log = logging.getLogger("boto_sigv4_shim")

FORMAT_VERSION = 1
DEFAULT_TTL = 86400
FUTURE_SLACK = 300  # seconds an entry's time may be ahead of our clock
_PARTITIONS = dict((p.name, p) for p in regions.PARTITIONS)


def _key(partition, bucket):
    return "%s/%s" % (partition, bucket)


def _valid_entry(key, entry):
    """(partition, bucket, region, time) of one file entry, else None."""
    try:
        partition, bucket = key.split("/", 1)
        region = regions.validate_region(entry["region"],
                                         "the bucket-region cache file")
        stamp = float(entry["time"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not bucket or "/" in bucket or len(bucket) > 255:
        return None
    if _PARTITIONS.get(partition) is None or \
            regions.partition_of(region) is not _PARTITIONS[partition]:
        return None
    if stamp != stamp:  # NaN
        return None
    # Native str (JSON gives unicode on Python 2; hosts are built from it).
    return partition, bucket, str(region), stamp


class DiskCache(object):
    """The cache file at ``path``; ``get``/``set`` like the in-memory one."""

    def __init__(self, path, ttl=DEFAULT_TTL, now=time.time):
        self.path = os.path.abspath(os.path.expanduser(path))
        self.ttl = ttl
        self._now = now
        self._lock = threading.Lock()
        self._entries = None   # key -> (region, time), loaded once
        self._warned = set()

    # -- reading ----------------------------------------------------------

    def _warn_once(self, what, message, *args):
        if what not in self._warned:
            self._warned.add(what)
            log.warning(message, *args)

    def _read_file(self):
        """{key: (region, time)} of the valid entries in the file."""
        try:
            with open(self.path, "rb") as handle:
                raw = handle.read()
        except (IOError, OSError) as error:
            if getattr(error, "errno", None) != errno.ENOENT:  # no file: empty
                self._warn_once("read", "bucket-region cache %s is not "
                                "readable (%s); ignoring it", self.path,
                                error)
            return {}
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or \
                    data.get("version") != FORMAT_VERSION or \
                    not isinstance(data.get("entries"), dict):
                raise ValueError("not a version-%d cache" % FORMAT_VERSION)
        except ValueError as error:  # UnicodeDecodeError is one too
            self._warn_once("read", "bucket-region cache %s is corrupted "
                            "(%s); ignoring it", self.path, error)
            return {}
        entries, dropped = {}, 0
        for key, entry in data["entries"].items():
            valid = _valid_entry(key, entry)
            if valid is None:
                dropped += 1
                continue
            entries[_key(valid[0], valid[1])] = (valid[2], valid[3])
        if dropped:
            self._warn_once("read", "bucket-region cache %s: ignoring %d "
                            "entr%s that %s not a valid region of its "
                            "partition", self.path, dropped,
                            "y" if dropped == 1 else "ies",
                            "is" if dropped == 1 else "are")
        return entries

    def _loaded(self):
        if self._entries is None:
            self._entries = self._read_file()
        return self._entries

    def _fresh(self, stamp):
        now = self._now()
        return now - self.ttl <= stamp <= now + FUTURE_SLACK

    def get(self, partition, bucket):
        """The cached region of ``bucket``, or None (missing or expired)."""
        with self._lock:
            entry = self._loaded().get(_key(partition, bucket))
        if entry is None or not self._fresh(entry[1]):
            return None
        return entry[0]

    # -- writing ----------------------------------------------------------

    def set(self, partition, bucket, region):
        """Remember ``region`` (validated) in memory and in the file."""
        try:
            region = regions.validate_region(region, "a bucket region")
        except ValueError:
            return
        key = _key(partition, bucket)
        if _valid_entry(key, {"region": region, "time": 0}) is None:
            return
        with self._lock:
            entry = (region, self._now())
            self._loaded()[key] = entry
            try:
                self._write(key, entry)
            except (IOError, OSError) as error:
                self._warn_once("write", "bucket-region cache %s cannot be "
                                "written (%s); going on without it",
                                self.path, error)

    def _write(self, key, entry):
        folder = os.path.dirname(self.path)
        lock = None
        if fcntl is not None:
            lock = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if lock is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            merged = self._read_file()  # what other processes wrote since
            merged[key] = entry
            now = self._now()
            data = {"version": FORMAT_VERSION, "entries": dict(
                (k, {"region": r, "time": t})
                for k, (r, t) in sorted(merged.items())
                if now - self.ttl <= t)}
            handle, temp = tempfile.mkstemp(prefix=".bucket-regions-",
                                            suffix=".tmp", dir=folder)
            try:
                with os.fdopen(handle, "w") as out:
                    json.dump(data, out, sort_keys=True)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(temp, 0o600)
                _replace(temp, self.path)
            except BaseException:
                try:
                    os.unlink(temp)
                except OSError:
                    pass
                raise
        finally:
            if lock is not None:
                os.close(lock)  # releases the flock


def _replace(source, target):
    replace = getattr(os, "replace", None)  # Python 3.3+
    if replace is not None:
        replace(source, target)
    else:  # Python 2: rename replaces on POSIX
        os.rename(source, target)


# -- the process-wide instance -------------------------------------------------

_instances_lock = threading.Lock()
_instances = {}


def _ttl(environ, config):
    value, source = settings.get("bucket_region_cache_ttl", None, environ,
                                 config)
    if source is None:
        return DEFAULT_TTL
    try:
        ttl = int(str(value).strip())
        if ttl < 0:
            raise ValueError(value)
        return ttl
    except ValueError:
        log.warning("%r (from %s) is not a number of seconds; using %d",
                    value, source, DEFAULT_TTL)
        return DEFAULT_TTL


def configured(environ=None, config=None):
    """The :class:`DiskCache` the settings ask for, or None when off."""
    path, _ = settings.get("bucket_region_cache", None, environ, config)
    if not path:
        return None
    ttl = _ttl(environ, config)
    key = (os.path.abspath(os.path.expanduser(path)), ttl)
    with _instances_lock:
        cache = _instances.get(key)
        if cache is None:
            cache = _instances[key] = DiskCache(key[0], ttl)
        return cache


def lookup(partition, bucket):
    """Read-through for the in-memory cache: the region, or None."""
    try:
        cache = configured()
        return cache.get(partition, bucket) if cache is not None else None
    except Exception:  # noqa: BLE001 -- never fatal
        log.debug("bucket-region cache lookup failed", exc_info=True)
        return None


def store(partition, bucket, region):
    """Write-through for the in-memory cache (no-op when off)."""
    try:
        cache = configured()
        if cache is not None:
            cache.set(partition, bucket, region)
    except Exception:  # noqa: BLE001 -- never fatal
        log.debug("bucket-region cache store failed", exc_info=True)
