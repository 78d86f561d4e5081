"""``cgi.escape`` for boto.ecs.item (``cgi.escape``: gone in 3.8; ``cgi``: 3.13).

boto.ecs.item does ``import cgi`` and calls ``cgi.escape(value)``.  This is
that function as it was in CPython 3.7's ``Lib/cgi.py``, byte for byte in
behaviour (``&``, ``<``, ``>``; ``"`` too when ``quote`` is true).
"""


def escape(s, quote=None):
    """Replace special characters "&", "<" and ">" by HTML-safe sequences."""
    s = s.replace("&", "&amp;")
    s = s.replace("<", "&lt;")
    s = s.replace(">", "&gt;")
    if quote:
        s = s.replace('"', "&quot;")
    return s
