"""The optional on-disk bucket-region cache (pure logic, real files)."""
import json
import logging
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from boto_sigv4_shim import disk_cache
from boto_sigv4_shim.disk_cache import DiskCache


class Clock(object):
    def __init__(self, now=1000000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "regions.json")


def _write(path, data):
    with open(path, "w") as handle:
        handle.write(data if isinstance(data, str) else json.dumps(data))


def _entries(path):
    with open(path) as handle:
        return json.load(handle)["entries"]


def _warnings(caplog):
    return [r.getMessage() for r in caplog.records
            if r.name == "boto_sigv4_shim" and r.levelno == logging.WARNING]


def test_round_trip_between_two_instances(path):
    clock = Clock()
    DiskCache(path, now=clock).set("aws", "photos", "eu-west-3")
    assert _entries(path) == {"aws/photos": {"region": "eu-west-3",
                                             "time": clock.now}}
    second = DiskCache(path, now=clock)
    assert second.get("aws", "photos") == "eu-west-3"
    assert second.get("aws-cn", "photos") is None  # keyed by partition
    assert second.get("aws", "other") is None


def test_missing_file_is_an_empty_cache_without_warning(path, caplog):
    assert DiskCache(path).get("aws", "b") is None
    assert _warnings(caplog) == []
    assert not os.path.exists(path)


def test_entries_older_than_the_ttl_are_ignored(path):
    clock = Clock()
    DiskCache(path, ttl=100, now=clock).set("aws", "b", "us-west-2")
    reader = DiskCache(path, ttl=100, now=clock)
    clock.now += 100
    assert reader.get("aws", "b") == "us-west-2"
    clock.now += 1
    assert reader.get("aws", "b") is None
    # ... and an expired entry is dropped when the file is next written.
    DiskCache(path, ttl=100, now=clock).set("aws", "c", "ap-south-1")
    assert sorted(_entries(path)) == ["aws/c"]


def test_entries_dated_in_the_future_are_ignored(path):
    clock = Clock()
    _write(path, {"version": 1, "entries": {
        "aws/b": {"region": "us-west-2", "time": clock.now + 3600}}})
    assert DiskCache(path, now=clock).get("aws", "b") is None


def test_file_is_loaded_once_per_instance(path):
    clock = Clock()
    cache = DiskCache(path, now=clock)
    assert cache.get("aws", "b") is None
    DiskCache(path, now=clock).set("aws", "b", "us-west-2")  # another process
    assert cache.get("aws", "b") is None  # not re-read
    assert DiskCache(path, now=clock).get("aws", "b") == "us-west-2"


@pytest.mark.parametrize("content", [
    "", "{", "null", "[]", '{"version": 2, "entries": {}}',
    '{"version": 1, "entries": []}', b"\xff\xfe garbage".decode("latin-1"),
])
def test_corrupted_file_is_ignored_with_one_warning(path, content, caplog):
    _write(path, content)
    cache = DiskCache(path)
    assert cache.get("aws", "a") is None
    assert cache.get("aws", "b") is None
    warnings = _warnings(caplog)
    assert len(warnings) == 1
    assert "corrupted" in warnings[0] and path in warnings[0]
    cache.set("aws", "a", "eu-north-1")  # and it heals on the next write
    assert DiskCache(path).get("aws", "a") == "eu-north-1"


def test_unreadable_file_is_ignored_with_one_warning(path, caplog):
    os.mkdir(path)  # a directory: open() fails with EISDIR
    cache = DiskCache(path)
    assert cache.get("aws", "a") is None
    cache.set("aws", "a", "us-west-2")  # cannot replace a directory
    assert cache.get("aws", "a") == "us-west-2"  # memory still works
    warnings = _warnings(caplog)
    assert len(warnings) == 2, warnings
    assert "not readable" in warnings[0] and "cannot be written" in warnings[1]


@pytest.mark.parametrize("key,region", [
    ("aws/b", "evil.example.com"),          # a host, not a region
    ("aws/b", "us-west-2.evil.test"),
    ("aws/b", "../../etc"),
    ("aws/b", "US-WEST-2"),
    ("aws/b", "cn-north-1"),                # another partition's region
    ("aws-cn/b", "us-west-2"),
    ("nowhere/b", "us-west-2"),             # no such partition
    ("aws", "us-west-2"),                   # no bucket
    ("aws/a/b", "us-west-2"),
    ("aws/b", 7),
    ("aws/b", None),
])
def test_tampered_entries_are_dropped(path, key, region, caplog):
    clock = Clock()
    _write(path, {"version": 1, "entries": {
        key: {"region": region, "time": clock.now},
        "aws/good": {"region": "eu-west-1", "time": clock.now}}})
    cache = DiskCache(path, now=clock)
    partition, _, bucket = key.partition("/")
    assert cache.get(partition, bucket) is None
    assert cache.get("aws", "good") == "eu-west-1"
    warnings = _warnings(caplog)
    assert len(warnings) == 1 and "ignoring 1 entry" in warnings[0]


@pytest.mark.parametrize("entry", [{"region": "us-west-2"},
                                   {"region": "us-west-2", "time": "x"},
                                   {"region": "us-west-2", "time": "nan"},
                                   "us-west-2", None])
def test_malformed_entries_are_dropped(path, entry):
    _write(path, {"version": 1, "entries": {"aws/b": entry}})
    assert DiskCache(path).get("aws", "b") is None


def test_invalid_regions_are_never_written(path):
    cache = DiskCache(path)
    cache.set("aws", "b", "evil.example.com")
    cache.set("aws", "b", "cn-north-1")
    cache.set("aws", "a/b", "us-west-2")
    assert not os.path.exists(path)
    assert cache.get("aws", "b") is None


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_file_mode_is_0600_and_the_write_is_atomic(path, tmp_path):
    _write(path, {"version": 1, "entries": {}})
    os.chmod(path, 0o644)
    old_inode = os.stat(path).st_ino
    DiskCache(path).set("aws", "b", "us-west-2")
    info = os.stat(path)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_ino != old_inode  # a new file renamed over the old one
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert leftovers == ["regions.json", "regions.json.lock"]
    assert stat.S_IMODE(os.stat(path + ".lock").st_mode) == 0o600


def test_two_instances_writing_merge_instead_of_overwriting(path):
    first, second = DiskCache(path), DiskCache(path)
    first.get("aws", "x")
    second.get("aws", "x")  # both loaded the (empty) file
    first.set("aws", "one", "us-west-1")
    second.set("aws", "two", "us-west-2")
    assert sorted(_entries(path)) == ["aws/one", "aws/two"]


WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from boto_sigv4_shim.disk_cache import DiskCache
    cache = DiskCache(sys.argv[2])
    for i in range(int(sys.argv[4])):
        cache.set("aws", "%s-%d" % (sys.argv[3], i), "eu-central-1")
""")


def test_two_writer_processes_lose_nothing(path, tmp_path):
    """Two processes each writing 40 entries at once: all 80 survive, and
    the file is valid JSON at the end (flock + read-merge-replace)."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    procs = [subprocess.Popen([sys.executable, str(script), repo, path, name,
                               "40"]) for name in ("a", "b")]
    assert [p.wait(60) for p in procs] == [0, 0]
    entries = _entries(path)
    assert len(entries) == 80
    assert set(e["region"] for e in entries.values()) == set(["eu-central-1"])
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_configured_from_settings(path, monkeypatch, caplog):
    class NoConfig(object):
        def get(self, section, option, default=None):
            return default

    assert disk_cache.configured({}, NoConfig()) is None
    environ = {"BOTO_SIGV4_SHIM_BUCKET_REGION_CACHE": path}
    cache = disk_cache.configured(environ, NoConfig())
    assert (cache.path, cache.ttl) == (path, 86400)
    assert disk_cache.configured(environ, NoConfig()) is cache  # one per path
    environ["BOTO_SIGV4_SHIM_BUCKET_REGION_CACHE_TTL"] = "60"
    assert disk_cache.configured(environ, NoConfig()).ttl == 60
    environ["BOTO_SIGV4_SHIM_BUCKET_REGION_CACHE_TTL"] = "a day"
    assert disk_cache.configured(environ, NoConfig()).ttl == 86400
    assert "'a day' (from BOTO_SIGV4_SHIM_BUCKET_REGION_CACHE_TTL)" in \
        _warnings(caplog)[0]

    class FileConfig(object):
        def get(self, section, option, default=None):
            if (section, option) == ("boto_sigv4_shim", "bucket_region_cache"):
                return path + ".cfg"
            return default

    assert disk_cache.configured({}, FileConfig()).path == path + ".cfg"


def test_lookup_and_store_follow_the_environment(path, monkeypatch):
    assert disk_cache.lookup("aws", "b") is None  # off: no file made
    disk_cache.store("aws", "b", "us-west-2")
    assert not os.path.exists(path)
    monkeypatch.setenv("BOTO_SIGV4_SHIM_BUCKET_REGION_CACHE", path)
    disk_cache.store("aws", "b", "us-west-2")
    assert _entries(path)["aws/b"]["region"] == "us-west-2"
    assert disk_cache.lookup("aws", "b") == "us-west-2"
