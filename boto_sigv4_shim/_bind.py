"""Bind a wrapped call's arguments to parameter names (Python 2 and 3)."""
import inspect
import sys


def bind(func, args, kwargs):
    """{parameter name: value} for ``func(*args, **kwargs)``, defaults filled.

    ``func`` is the wrapped function as wrapt passes it (bound for methods,
    so ``self`` is not among the names).
    """
    if sys.version_info[0] >= 3:
        bound = inspect.signature(func).bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        for name, param in inspect.signature(func).parameters.items():
            if param.kind == param.VAR_KEYWORD and name in values:
                values.update(values.pop(name))
        return values
    values = inspect.getcallargs(func, *args, **kwargs)
    values.pop("self", None)
    spec = inspect.getargspec(func)
    if spec.keywords and spec.keywords in values:
        values.update(values.pop(spec.keywords))
    return values
