"""Fixtures for in-process boto 2 tests: the shim installed, boto imported."""
import pytest

import boto_sigv4_shim


@pytest.fixture(autouse=True)
def shim_installed():
    """Every test starts (and ends) with the shim installed."""
    boto_sigv4_shim.install()
    yield
    boto_sigv4_shim.install()


@pytest.fixture
def s3(front):
    import boto
    return boto.connect_s3()
