"""uninstall() puts boto's own signing and host behaviour back, exactly."""
import boto
import boto.ec2
import boto.s3
import boto.s3.connection
import pytest
from boto.exception import S3ResponseError

import boto_sigv4_shim
from boto_sigv4_shim import _patching


def _originals():
    found = {}
    for module_name, path, _ in _patching.PATCHES:
        module = __import__(module_name, fromlist=["x"])
        owner_path, _, attribute = path.rpartition(".")
        owner = module
        for part in filter(None, owner_path.split(".")):
            owner = getattr(owner, part)
        found[(module_name, path)] = vars(owner)[attribute]
    return found


def test_uninstall_restores_the_original_objects():
    wrapped = _originals()
    assert all(type(v).__name__ == "FunctionWrapper" for v in wrapped.values())
    assert boto_sigv4_shim.uninstall() is True
    try:
        restored = _originals()
        for key, value in restored.items():
            assert value is wrapped[key].__wrapped__, key
        assert boto_sigv4_shim.uninstall() is False
    finally:
        assert boto_sigv4_shim.install() is True
    assert boto_sigv4_shim.install() is False


def test_behaviour_after_uninstall_is_boto_s(front, unique_bucket):
    boto_sigv4_shim.uninstall()
    try:
        conn = boto.connect_s3()
        assert (conn.host, type(conn._auth_handler).__name__) == \
            ("s3.amazonaws.com", "HmacAuthV1Handler")
        with pytest.raises(S3ResponseError) as info:
            conn.create_bucket(unique_bucket())
        assert info.value.error_code == "InvalidRequest"
        assert "Please use AWS4-HMAC-SHA256" in info.value.body
        assert boto.s3.connect_to_region("ap-southeast-5") is None
        assert boto.ec2.connect_to_region("mx-central-1") is None
        assert [r.auth for r in front.requests] == ["sigv2"]
    finally:
        boto_sigv4_shim.install()
    conn = boto.connect_s3()
    assert type(conn._auth_handler).__name__ == "S3SigV4Handler"
    conn.create_bucket(unique_bucket())
    assert front.requests[-1].auth == "sigv4"


def test_a_wrapper_stacked_on_ours_is_left_in_place():
    import wrapt
    cls = boto.s3.connection.S3Connection
    ours = vars(cls)["generate_url"]
    theirs = wrapt.FunctionWrapper(ours, lambda w, i, a, k: w(*a, **k))
    cls.generate_url = theirs
    try:
        boto_sigv4_shim.uninstall()
        assert vars(cls)["generate_url"] is theirs
        conn = boto.connect_s3()
        assert "Signature=" in conn.generate_url(60, "GET", "b", "k")  # SigV2
    finally:
        cls.generate_url = ours.__wrapped__  # boto's own, as uninstalled
        boto_sigv4_shim.install()
    assert type(vars(cls)["generate_url"]).__name__ == "FunctionWrapper"
    assert vars(cls)["generate_url"].__wrapped__ is ours.__wrapped__
