"""The one place that wraps and unwraps boto.

Every patch is a wrapt ``FunctionWrapper`` put on a class or module attribute
when the module defining it is imported (wrapt post-import hooks, so import
order never matters).  One installed flag, under one lock.  ``uninstall()``
puts back exactly what it replaced, and only where the attribute still holds
our wrapper; a wrapper somebody else stacked on top of ours stays, but ours
then passes straight through because every wrapper checks the flag.
"""
import importlib
import logging
import sys
import threading

import wrapt

log = logging.getLogger("boto_sigv4_shim")

# (module, attribute path inside it, "module:function" of our wrapper).
# Wrappers are resolved lazily, when their boto module has been imported, so
# importing the shim never imports boto.
PATCHES = (
    ("boto.auth", "get_auth_handler",
     "boto_sigv4_shim._handlers:select_auth_handler"),
    ("boto.regioninfo", "_get_region",
     "boto_sigv4_shim.endpoints:get_region_wrapper"),
    ("boto.s3.connection", "S3Connection.__init__",
     "boto_sigv4_shim.s3:init_wrapper"),
    ("boto.s3.connection", "S3Connection._required_auth_capability",
     "boto_sigv4_shim.s3:capability_wrapper"),
    ("boto.s3.connection", "S3Connection.make_request",
     "boto_sigv4_shim.s3:make_request_wrapper"),
    ("boto.s3.connection", "S3Connection.create_bucket",
     "boto_sigv4_shim.s3:create_bucket_wrapper"),
    ("boto.s3.connection", "S3Connection.generate_url",
     "boto_sigv4_shim.s3:generate_url_wrapper"),
    ("boto.connection", "HTTPRequest.__str__",
     "boto_sigv4_shim.redact_boto:request_str_wrapper"),
    ("boto.exception", "BotoServerError.__init__",
     "boto_sigv4_shim.redact_boto:server_error_init_wrapper"),
    ("boto.connection", "AWSAuthConnection._mexe",
     "boto_sigv4_shim.transport:mexe_wrapper"),
    ("boto.ec2.connection", "EC2Connection.__init__",
     "boto_sigv4_shim.ec2:init_wrapper"),
    ("boto.ec2.autoscale", "AutoScaleConnection.__init__",
     "boto_sigv4_shim.ec2:init_wrapper"),
    ("boto.ec2.elb", "ELBConnection.__init__",
     "boto_sigv4_shim.ec2:init_wrapper"),
    ("boto.ec2.cloudwatch", "CloudWatchConnection.__init__",
     "boto_sigv4_shim.ec2:init_wrapper"),
    ("boto.provider", "Provider.get_credentials",
     "boto_sigv4_shim.credentials:get_credentials_wrapper"),
    ("boto.provider", "Provider._credentials_need_refresh",
     "boto_sigv4_shim.credentials:need_refresh_wrapper"),
)

_lock = threading.RLock()
_installed = False
_hooked = set()      # module names whose post-import hook is registered
_applied = []        # [(owner, attribute, wrapper, original, owned)]


def is_installed():
    return _installed


def _resolve(spec):
    module_name, func_name = spec.split(":")
    return getattr(importlib.import_module(module_name), func_name)


def _guard(spec):
    """Our wrapper for ``spec``, passing straight through while the shim is
    off.  The wrapper function is imported at its first call, not when the
    hook fires: a hook runs before its module is bound on its package, so
    our modules could not import boto's yet."""
    resolved = []

    def wrapper(wrapped, instance, args, kwargs):
        if not _installed:
            return wrapped(*args, **kwargs)
        if not resolved:
            resolved.append(_resolve(spec))
        return resolved[0](wrapped, instance, args, kwargs)

    wrapper.__name__ = spec.split(":")[1]
    return wrapper


def _is_applied(owner, attribute):
    for entry in _applied:
        if entry[0] is owner and entry[1] == attribute:
            return True
    return False


def _apply_module(module):
    """Post-import hook: wrap everything PATCHES names in ``module``."""
    with _lock:
        if not _installed:
            return
        for module_name, path, spec in PATCHES:
            if module_name != module.__name__:
                continue
            owner, attribute, original = wrapt.resolve_path(module, path)
            if _is_applied(owner, attribute):
                continue
            owned = attribute in vars(owner)
            wrapper = wrapt.FunctionWrapper(original, _guard(spec))
            setattr(owner, attribute, wrapper)
            _applied.append((owner, attribute, wrapper, original, owned))
            log.debug("wrapped %s.%s", module_name, path)


def install():
    """Install the patches; returns True if this call installed them."""
    global _installed
    with _lock:
        if _installed:
            log.debug("install(): already installed, nothing to do")
            return False
        _installed = True
        for module_name in sorted(set(p[0] for p in PATCHES)):
            if module_name in _hooked:
                # A hook registered by an earlier install() still fires for
                # modules imported later; modules already imported are
                # patched here.
                module = sys.modules.get(module_name)
                if module is not None:
                    _apply_module(module)
                continue
            _hooked.add(module_name)
            wrapt.register_post_import_hook(_apply_module, module_name)
    from . import redact
    redact.attach()
    log.debug("installed")
    return True


def uninstall():
    """Remove every wrapper we put in place; returns True if any were."""
    global _installed
    with _lock:
        if not _installed:
            log.debug("uninstall(): not installed, nothing to do")
            return False
        _installed = False
        while _applied:
            owner, attribute, wrapper, original, owned = _applied.pop()
            current = vars(owner).get(attribute)
            if current is not wrapper:
                log.warning("%s.%s was re-wrapped by someone else after "
                            "boto_sigv4_shim; leaving that wrapper in place "
                            "(ours now passes through)",
                            getattr(owner, "__name__", owner), attribute)
                continue
            if owned:
                setattr(owner, attribute, original)
            else:
                delattr(owner, attribute)
    from . import redact
    redact.detach()
    log.debug("uninstalled")
    return True
