"""Each shim setting, and where its value came from.

Pure: no boto import.  Settings live in the ``[boto_sigv4_shim]`` section of
the boto config files (the files boto itself reads: ``BOTO_CONFIG``, else
``BOTO_PATH``, else ``/etc/boto.cfg`` and ``~/.boto``), each mirrored by a
``BOTO_SIGV4_SHIM_<NAME>`` environment variable that wins over the file.

==================  =====================================  ==================
setting             meaning                                default
==================  =====================================  ==================
disable             every loading way is a no-op           false
region              region when the call site names none   (resolution chain)
sigv2_hosts         hosts kept on boto's own signing       (none)
                    (comma-separated; ``.example.com``
                    matches every name under it)
s3_custom_region    signing region for a non-AWS S3 host   (the host's, for
                                                           well-known stores
                                                           (``compatible_
                                                           hosts``), else the
                                                           resolution chain)
autoload            the ``.pth`` file loads the shim       false
                    (environment variable only: checked
                    before anything is imported)
bucket_region_      file keeping learnt bucket regions     (off)
cache               across processes (``disk_cache``)
bucket_region_      seconds a cached bucket region is      86400
cache_ttl           trusted
==================  =====================================  ==================
"""
import os
import sys
import threading

try:  # Python 3
    import configparser
except ImportError:  # Python 2
    import ConfigParser as configparser

from . import regions

SECTION = "boto_sigv4_shim"
ENV_PREFIX = "BOTO_SIGV4_SHIM_"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def env_name(name):
    return ENV_PREFIX + name.upper()


def parse_bool(value, source):
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("boto_sigv4_shim: %r (from %s) is not a yes/no value; "
                     "use one of 1/0, true/false, yes/no, on/off"
                     % (value, source))


# -- boto config files, read without importing boto --------------------------

def boto_config_paths(environ=None):
    """The files boto 2 reads its configuration from, in boto's order."""
    environ = os.environ if environ is None else environ
    if "BOTO_CONFIG" in environ:
        return [os.path.expanduser(environ["BOTO_CONFIG"])]
    paths = ["/etc/boto.cfg", os.path.expanduser("~/.boto")]
    if "BOTO_PATH" in environ:
        paths = [os.path.expanduser(p) for p in environ["BOTO_PATH"].split(":")
                 if p]
    return paths


class FileConfig(object):
    """The ``get(section, option, default)`` face of boto.config, from files."""

    def __init__(self, paths):
        self.paths = list(paths)
        if sys.version_info[0] >= 3:
            self._parser = configparser.RawConfigParser(strict=False)
        else:
            self._parser = configparser.RawConfigParser()
        self._parser.read(self.paths)

    def get(self, section, option, default=None):
        try:
            return self._parser.get(section, option)
        except (configparser.NoSectionError, configparser.NoOptionError):
            return default


_config_lock = threading.Lock()
_file_config = {}


def boto_config():
    """boto's own config object once boto is imported, else the same files."""
    boto = sys.modules.get("boto")
    config = getattr(boto, "config", None)
    if config is not None:
        return config
    paths = tuple(boto_config_paths())
    with _config_lock:
        if paths not in _file_config:
            _file_config[paths] = FileConfig(paths)
        return _file_config[paths]


def get(name, default=None, environ=None, config=None):
    """(value, source) of shim setting ``name``; env beats the config file."""
    environ = os.environ if environ is None else environ
    key = env_name(name)
    if environ.get(key, "") != "":
        return environ[key], key
    config = boto_config() if config is None else config
    value = config.get(SECTION, name, None)
    if value is not None and str(value).strip() != "":
        return value, "[%s] %s in the boto config" % (SECTION, name)
    return default, None


def disabled_reason(environ=None, config=None):
    """Why the shim is switched off (a setting's name), or None when it is on."""
    value, source = get("disable", "", environ, config)
    if source and parse_bool(value, source):
        return source
    return None


def sigv2_hosts(environ=None, config=None):
    value, _ = get("sigv2_hosts", "", environ, config)
    return tuple(h.strip().lower() for h in str(value).split(",") if h.strip())


def host_matches(host, patterns):
    """True when ``host`` is one of ``patterns`` (``.x.com`` matches below)."""
    name = (host or "").lower().split(":")[0].rstrip(".")
    for pattern in patterns:
        pattern = pattern.split(":")[0].rstrip(".")
        if pattern.startswith("."):
            if name.endswith(pattern) or name == pattern[1:]:
                return True
        elif name == pattern:
            return True
    return False


def is_sigv2_host(host, environ=None, config=None):
    return host_matches(host, sigv2_hosts(environ, config))


# -- ~/.aws/config ------------------------------------------------------------

_aws_lock = threading.Lock()
_aws_cache = {}


def aws_config_path(environ=None):
    environ = os.environ if environ is None else environ
    return os.path.expanduser(environ.get("AWS_CONFIG_FILE") or "~/.aws/config")


def active_profile(environ=None):
    environ = os.environ if environ is None else environ
    return (environ.get("AWS_PROFILE") or environ.get("AWS_DEFAULT_PROFILE")
            or "default")


def _read_aws_config(path):
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return None
    with _aws_lock:
        cached = _aws_cache.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        parser = FileConfig([path])
        _aws_cache[path] = (mtime, parser)
        return parser


def aws_profile_value(option, environ=None):
    """(value, source) of ``option`` in the active profile of ~/.aws/config."""
    path = aws_config_path(environ)
    parser = _read_aws_config(path)
    if parser is None:
        return None, None
    profile = active_profile(environ)
    section = "default" if profile == "default" else "profile %s" % profile
    value = parser.get(section, option, None)
    if value is None and profile == "default":
        value = parser.get("profile default", option, None)
    if value is None or not value.strip():
        return None, None
    return value.strip(), "%s of profile %r in %s" % (option, profile, path)


# -- region resolution ---------------------------------------------------------

def region_candidates(service_options=(), environ=None, config=None):
    """Yield (value, source) for each configured region, first match wins.

    ``service_options`` are the service's own boto config settings, as
    ``(section, option)`` pairs (EC2: ``("Boto", "ec2_region_name")``); they
    come first.  Then the shim's ``region`` setting, ``AWS_REGION``,
    ``AWS_DEFAULT_REGION`` and the active ``~/.aws/config`` profile.
    """
    environ = os.environ if environ is None else environ
    config = boto_config() if config is None else config
    for section, option in service_options:
        value = config.get(section, option, None)
        if value:
            yield value, "[%s] %s in the boto config" % (section, option)
    value, source = get("region", None, environ, config)
    if source:
        yield value, source
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if environ.get(name):
            yield environ[name], name
    value, source = aws_profile_value("region", environ)
    if source:
        yield value, source


def resolve_region(service_options=(), environ=None, config=None):
    """(region, source): the first configured region, validated, or us-east-1.

    A configured value that is not a region name raises
    :class:`~boto_sigv4_shim.errors.InvalidRegionError` naming the setting:
    a typo must not silently send requests elsewhere.
    """
    for value, source in region_candidates(service_options, environ, config):
        return regions.validate_region(value, source), source
    return regions.DEFAULT_REGION, "the default"
