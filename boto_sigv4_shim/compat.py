"""What boto 2 needs to import and work on new Pythons (filled in by issue 3)."""


def apply():
    """Install the import fixes. Idempotent; they stay after uninstall()."""
