"""Bind a wrapped call's arguments to parameter names (Python 2 and 3)."""
import inspect
import sys

# Signatures by (underlying function, bound or not): computing one costs tens
# of microseconds, and make_request / _mexe are bound on every request.
_SIGNATURES = {}


def _signature(func):
    key = (getattr(func, "__func__", func), hasattr(func, "__self__"))
    sig = _SIGNATURES.get(key)
    if sig is None:
        sig = inspect.signature(func)
        var_keyword = [name for name, param in sig.parameters.items()
                       if param.kind == param.VAR_KEYWORD]
        sig = _SIGNATURES[key] = (sig, var_keyword)
    return sig


def bind(func, args, kwargs):
    """{parameter name: value} for ``func(*args, **kwargs)``, defaults filled.

    ``func`` is the wrapped function as wrapt passes it (bound for methods,
    so ``self`` is not among the names).
    """
    if sys.version_info[0] >= 3:
        sig, var_keyword = _signature(func)
        bound = sig.bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        for name in var_keyword:
            if name in values:
                values.update(values.pop(name))
        return values
    values = inspect.getcallargs(func, *args, **kwargs)
    values.pop("self", None)
    spec = inspect.getargspec(func)
    if spec.keywords and spec.keywords in values:
        values.update(values.pop(spec.keywords))
    return values
