"""HTTPS certificate checks and the CONNECT proxy, per client interpreter.

Each test runs a boto 2 S3 client (shim loaded first) under one client
Python against the loopback AWS front (real name ``s3.amazonaws.com``,
routed to 127.0.0.1 by ``SHIM_TEST_ROUTE``) and asserts exactly what
happened: the client's outcome, what the front accepted, and what the proxy
(:mod:`tests.support.proxy`) was asked to CONNECT to.
"""
import json
import os
import textwrap

import pytest

from tests.support import clients
from tests.support.proxy import ConnectProxy, basic

VERSIONS = ("2.7", "3.6", "3.11", "3.12", "3.13")
S3 = "s3.amazonaws.com"
PROXY_USER, PROXY_PASS = "shim-user", "p@ss:word"

CLIENT = textwrap.dedent("""
    import json, warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import boto_sigv4_shim
        import boto
        result = {}
        try:
            conn = boto.connect_s3()
            result["buckets"] = [b.name for b in conn.get_all_buckets()]
            result["ok"] = True
        except Exception as error:
            result["ok"] = False
            result["error_class"] = type(error).__name__
            result["error_mro"] = [c.__name__ for c in type(error).__mro__]
            result["error"] = str(error)
    result["shim_warnings"] = ["%s: %s" % (w.category.__name__, w.message)
                               for w in caught
                               if "boto_sigv4_shim" in (w.filename or "")]
    print("RESULT " + json.dumps(result))
""")


@pytest.fixture(params=VERSIONS)
def python(request):
    return clients.require_python(request.param)


@pytest.fixture
def proxy(front):
    with ConnectProxy(routes={S3 + ":443": ("127.0.0.1", front.https_port)},
                      credentials=(PROXY_USER, PROXY_PASS)) as server:
        yield server


def boto_config(tmp_path, test_certs, name="boto.cfg", ca=True, **options):
    lines = ["[Boto]", "num_retries = 1", "http_socket_timeout = 10",
             "metadata_service_num_attempts = 0"]
    if ca:
        lines.append("ca_certificates_file = %s" % test_certs.ca)
    lines.extend("%s = %s" % item for item in sorted(options.items()))
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def run_client(python, env, tmp_path):
    script = tmp_path / "client.py"
    script.write_text(CLIENT)
    proc = clients.run(python, [str(script)], env=env, timeout=90)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, (proc.stdout, proc.stderr)
    result = json.loads(lines[-1][len("RESULT "):])
    assert result["shim_warnings"] == []
    return result


def assert_listed(result):
    # The moto session is shared: other tests' buckets may be listed.
    assert result["ok"] is True, result
    assert isinstance(result["buckets"], list)


def assert_accepted_once(front):
    records = [(r.method, r.host, r.path, r.status, r.listener, r.auth)
               for r in front.requests]
    assert records == [("GET", S3, "/", 200, "https", "sigv4")]


def assert_certificate_error(result, host, detail):
    assert result["ok"] is False
    assert result["error_class"] == "CertificateVerificationError"
    assert "InvalidCertificateException" in result["error_mro"]
    assert result["error"].startswith(
        "Host %s returned a certificate that failed verification: " % host)
    assert detail in result["error"]


# -- direct -------------------------------------------------------------------

def test_good_certificate_from_ca_certificates_file(python, front, client_env,
                                                   tmp_path):
    result = run_client(python, client_env, tmp_path)
    assert_listed(result)
    assert_accepted_once(front)


def test_validate_certs_unset_uses_configured_ca(python, front, client_env,
                                                tmp_path, test_certs):
    # No https_validate_certificates: S3Connection's validate_certs=None.
    client_env["BOTO_CONFIG"] = boto_config(tmp_path, test_certs)
    result = run_client(python, client_env, tmp_path)
    assert_listed(result)
    assert_accepted_once(front)


def test_system_trust_store_when_no_ca_file(python, front, client_env,
                                           tmp_path, test_certs):
    # Not boto's bundled cacerts.txt: the system store (OpenSSL honours
    # SSL_CERT_FILE), which here is the test CA.
    client_env["BOTO_CONFIG"] = boto_config(
        tmp_path, test_certs, ca=False, https_validate_certificates="True")
    client_env["SSL_CERT_FILE"] = test_certs.ca
    result = run_client(python, client_env, tmp_path)
    assert_listed(result)
    assert_accepted_once(front)


def test_system_trust_store_rejects_test_ca_when_not_in_it(
        python, front, client_env, tmp_path, test_certs):
    client_env["BOTO_CONFIG"] = boto_config(
        tmp_path, test_certs, ca=False, https_validate_certificates="True")
    client_env["SSL_CERT_FILE"] = os.path.join(str(tmp_path), "empty.pem")
    open(client_env["SSL_CERT_FILE"], "w").close()
    result = run_client(python, client_env, tmp_path)
    assert_certificate_error(result, S3, "certificate verify failed")
    assert front.requests == []


def test_wrong_host_certificate(python, front, client_env, tmp_path,
                                wrong_host_certs):
    front.use_certs(wrong_host_certs)
    result = run_client(python, client_env, tmp_path)
    assert_certificate_error(result, S3, S3)
    assert "wrong.example.test" in result["error"] or \
        "Hostname mismatch" in result["error"]
    assert front.requests == []


def test_untrusted_ca(python, front, client_env, tmp_path, untrusted_certs):
    front.use_certs(untrusted_certs)
    result = run_client(python, client_env, tmp_path)
    assert_certificate_error(result, S3, "certificate verify failed")
    assert front.requests == []


# -- through the CONNECT proxy ---------------------------------------------------

def assert_tunnelled(proxy, auth):
    records = [(r.request_line, r.proxy_authorization, r.status)
               for r in proxy.records]
    assert records == [("CONNECT %s:443 HTTP/1.0" % S3, auth, 200)]
    assert proxy.records[0].user_agent.startswith("Boto/2.49.0 ")


def test_proxy_from_boto_config(python, front, proxy, client_env, tmp_path,
                                test_certs):
    client_env["BOTO_CONFIG"] = boto_config(
        tmp_path, test_certs, https_validate_certificates="True",
        proxy="127.0.0.1", proxy_port=proxy.port, proxy_user=PROXY_USER,
        proxy_pass=PROXY_PASS)
    result = run_client(python, client_env, tmp_path)
    assert_listed(result)
    assert_tunnelled(proxy, basic(PROXY_USER, PROXY_PASS))
    assert_accepted_once(front)


@pytest.mark.parametrize("variable", ["https_proxy", "HTTPS_PROXY"])
def test_proxy_from_https_proxy_env(python, front, proxy, client_env,
                                    tmp_path, variable):
    client_env[variable] = "http://shim-user:p%%40ss%%3Aword@127.0.0.1:%d" \
        % proxy.port
    result = run_client(python, client_env, tmp_path)
    assert_listed(result)
    assert_tunnelled(proxy, basic(PROXY_USER, PROXY_PASS))
    assert_accepted_once(front)


def test_no_proxy_bypasses_https_proxy(python, front, proxy, client_env,
                                       tmp_path):
    client_env["https_proxy"] = "http://127.0.0.1:%d" % proxy.port
    client_env["no_proxy"] = "localhost,amazonaws.com"
    result = run_client(python, client_env, tmp_path)
    assert_listed(result)
    assert proxy.records == []
    assert_accepted_once(front)


def test_proxy_tunnel_verifies_target_host(python, front, proxy, client_env,
                                           tmp_path, wrong_host_certs):
    front.use_certs(wrong_host_certs)
    client_env["https_proxy"] = "http://%s:%s@127.0.0.1:%d" % (
        PROXY_USER, "p%40ss%3Aword", proxy.port)
    result = run_client(python, client_env, tmp_path)
    assert_certificate_error(result, S3, S3)
    assert_tunnelled(proxy, basic(PROXY_USER, PROXY_PASS))
    assert front.requests == []


def test_proxy_refusing_credentials(python, front, proxy, client_env,
                                    tmp_path):
    client_env["https_proxy"] = "http://shim-user:wrong@127.0.0.1:%d" \
        % proxy.port
    result = run_client(python, client_env, tmp_path)
    assert result["ok"] is False
    assert ("Error talking to HTTP proxy 127.0.0.1:%d: 407 (Proxy "
            "Authentication Required)" % proxy.port) in result["error"]
    assert set(r.status for r in proxy.records) == set([407])
    assert front.requests == []
