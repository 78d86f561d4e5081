"""Settings and the region resolution order (pure: dicts for env and config)."""
import pytest

from boto_sigv4_shim import settings
from boto_sigv4_shim.errors import InvalidRegionError


class Config(object):
    """The get(section, option, default) face of boto.config."""

    def __init__(self, values=None):
        self.values = values or {}

    def get(self, section, option, default=None):
        return self.values.get((section, option), default)


@pytest.fixture
def aws_config(tmp_path):
    path = tmp_path / "config"
    path.write_text(u"[default]\nregion = ap-south-2\n\n"
                    u"[profile work]\nregion = eu-north-1\n")
    return str(path)


EC2 = (("Boto", "ec2_region_name"),)


def resolve(env, values=None, options=EC2):
    return settings.resolve_region(options, env, Config(values))


def test_each_level_of_the_resolution_order(aws_config):
    env = {"AWS_CONFIG_FILE": aws_config, "AWS_PROFILE": "work",
           "AWS_DEFAULT_REGION": "ca-west-1", "AWS_REGION": "me-central-1",
           "BOTO_SIGV4_SHIM_REGION": "il-central-1"}
    values = {("Boto", "ec2_region_name"): "af-south-1",
              ("boto_sigv4_shim", "region"): "sa-east-1"}
    assert resolve(env, values) == ("af-south-1",
                                    "[Boto] ec2_region_name in the boto config")
    del values[("Boto", "ec2_region_name")]
    assert resolve(env, values) == ("il-central-1", "BOTO_SIGV4_SHIM_REGION")
    del env["BOTO_SIGV4_SHIM_REGION"]
    assert resolve(env, values) == (
        "sa-east-1", "[boto_sigv4_shim] region in the boto config")
    del values[("boto_sigv4_shim", "region")]
    assert resolve(env, values) == ("me-central-1", "AWS_REGION")
    del env["AWS_REGION"]
    assert resolve(env, values) == ("ca-west-1", "AWS_DEFAULT_REGION")
    del env["AWS_DEFAULT_REGION"]
    region, source = resolve(env, values)
    assert region == "eu-north-1"
    assert "profile 'work'" in source and aws_config in source
    del env["AWS_PROFILE"]
    assert resolve(env, values)[0] == "ap-south-2"
    env["AWS_CONFIG_FILE"] = aws_config + ".missing"
    assert resolve(env, values) == ("us-east-1", "the default")


def test_bad_configured_region_names_the_setting():
    with pytest.raises(InvalidRegionError) as info:
        resolve({"AWS_REGION": "eu-central-1; x"})
    assert "'eu-central-1; x' (from AWS_REGION)" in str(info.value)


def test_env_mirror_wins_over_config_file():
    config = Config({("boto_sigv4_shim", "sigv2_hosts"): "a.example"})
    assert settings.sigv2_hosts({}, config) == ("a.example",)
    assert settings.sigv2_hosts(
        {"BOTO_SIGV4_SHIM_SIGV2_HOSTS": "b.example, .c.example"},
        config) == ("b.example", ".c.example")


@pytest.mark.parametrize("host,expected", [
    ("b.example", True), ("B.EXAMPLE:9000", True), ("x.c.example", True),
    ("c.example", True), ("xc.example", False), ("a.example", False)])
def test_sigv2_host_matching(host, expected):
    env = {"BOTO_SIGV4_SHIM_SIGV2_HOSTS": "b.example,.c.example"}
    assert settings.is_sigv2_host(host, env, Config()) is expected


@pytest.mark.parametrize("env,values,reason", [
    ({}, {}, None),
    ({"BOTO_SIGV4_SHIM_DISABLE": "1"}, {}, "BOTO_SIGV4_SHIM_DISABLE"),
    ({"BOTO_SIGV4_SHIM_DISABLE": "off"}, {("boto_sigv4_shim", "disable"): "true"},
     None),
    ({}, {("boto_sigv4_shim", "disable"): "yes"},
     "[boto_sigv4_shim] disable in the boto config"),
])
def test_off_switch(env, values, reason):
    assert settings.disabled_reason(env, Config(values)) == reason


def test_off_switch_with_a_bad_value_says_what_to_use():
    with pytest.raises(ValueError) as info:
        settings.disabled_reason({"BOTO_SIGV4_SHIM_DISABLE": "maybe"}, Config())
    assert "'maybe' (from BOTO_SIGV4_SHIM_DISABLE)" in str(info.value)


def test_boto_config_paths_follow_boto():
    assert settings.boto_config_paths({"BOTO_CONFIG": "/x/boto.cfg"}) == \
        ["/x/boto.cfg"]
    assert settings.boto_config_paths({"BOTO_PATH": "/a:/b"}) == ["/a", "/b"]
    assert settings.boto_config_paths({})[0] == "/etc/boto.cfg"


def test_file_config_reads_the_shim_section(tmp_path):
    path = tmp_path / "boto.cfg"
    path.write_text(u"[boto_sigv4_shim]\nregion = eu-south-2\n")
    config = settings.FileConfig([str(path)])
    assert settings.resolve_region((), {}, config) == (
        "eu-south-2", "[boto_sigv4_shim] region in the boto config")
