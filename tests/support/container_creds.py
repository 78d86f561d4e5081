"""A loopback stand-in for the ECS / EKS Pod Identity credentials endpoint.

:class:`ContainerCredsServer` answers ``GET <path>`` with the JSON of a new
key set from its :class:`~tests.support.imds.CredentialIssuer`, but only
when ``Authorization`` equals :attr:`token` (when one is set; 401
otherwise, as the EKS Pod Identity agent does).  Any other path is 404.
Requests are recorded as ``(method, path, authorization)``.

Reach it through ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` (loopback http is
allowed by the SDKs); see :func:`container_env`.
"""
import json
import threading
import uuid

from tests.support.imds import StandIn


class ContainerCredsServer(StandIn):

    def __init__(self, issuer, token=None, path=None):
        StandIn.__init__(self)
        self.issuer = issuer
        self.token = token
        self.path = path or "/v2/credentials/" + uuid.uuid4().hex[:12]
        self._lock = threading.Lock()

    @property
    def full_uri(self):
        return self.url + self.path

    def answer(self, handler):
        authorization = handler.headers.get("Authorization")
        with self._lock:
            self.requests.append((handler.command, handler.path,
                                  authorization))
        if handler.path != self.path or handler.command != "GET":
            return 404, json.dumps({"message": "not found"}), []
        if self.token is not None and authorization != self.token:
            return 401, json.dumps({"message": "unauthorized"}), []
        data = self.issuer.issue()
        data.pop("Code", None)
        data.pop("LastUpdated", None)
        data.pop("Type", None)
        data["RoleArn"] = "arn:aws:iam::123456789012:role/task-role"
        return 200, json.dumps(data), [("Content-Type", "application/json")]


def container_env(server, token_file=None):
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": server.full_uri}
    if token_file:
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = token_file
    elif server.token is not None:
        env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = server.token
    return env
