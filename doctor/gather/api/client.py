"""Read-only requests to the API server, within one deadline, each failure turned into a reason.

Only get and list are offered: stackdoctor never changes the cluster it reads. Every request
gets at most the time left of the run's budget (the deadline of the CRI calls), so an API server
that accepts the connection and then says nothing (stopped, overloaded) costs that budget once,
not once per request.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from doctor.gather.api.kubeconfig import ApiTarget

if TYPE_CHECKING:
    from lightkube import Client

# What stackdoctor reads (docs/apiserver.md lists the ClusterRole that allows exactly this).
READ_VERBS = ("get", "list")


class ApiFailure(Exception):
    """A request that got no usable answer; `kind` is forbidden, unauthorized, unreachable,
    timeout, not-found or error, and the message one line naming the server and the object."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class ReadOnlyApi:
    def __init__(self, target: ApiTarget, budget: float) -> None:
        import httpx2
        from lightkube import Client

        self.target = target
        self._deadline = time.monotonic() + budget
        self._budget = budget
        self._httpx = httpx2
        self._client: Client = Client(
            target.config, timeout=httpx2.Timeout(budget), trust_env=False
        )

    def close(self) -> None:
        self._client.close()

    def get(self, resource: type[Any], name: str, namespace: str | None = None) -> dict[str, Any]:
        """The object as the API serves it (JSON), managedFields dropped."""
        what = _what(resource, name, namespace)
        obj = self._call(what, lambda: self._client.get(resource, name, namespace=namespace))
        return _plain(obj)

    def list(
        self,
        resource: type[Any],
        namespace: str | None = None,
        fields: Mapping[str, str] | None = None,
        limit: int = 500,
        labels: str | None = None,
    ) -> list[dict[str, Any]]:
        """The objects of one page (a diagnosis reads a pod's events, never a whole cluster)."""
        what = _what(resource, None, namespace)

        def first_page() -> list[Any]:
            found = []
            for item in self._client.list(
                resource,
                namespace=namespace,
                fields=dict(fields or {}),
                labels=_labels(labels),
                chunk_size=limit,
            ):
                found.append(item)
                if len(found) >= limit:
                    break
            return found

        return [_plain(item) for item in self._call(what, first_page)]

    def _call(self, what: str, request: Any) -> Any:
        from lightkube import ApiError

        left = self._deadline - time.monotonic()
        if left <= 0:
            raise ApiFailure("timeout", f"{what}: no time left of the {self._budget:g} s deadline")
        _shorten(self._client, self._httpx.Timeout(left))
        try:
            return request()
        except ApiError as exc:
            raise _api_error(what, exc) from None
        except self._httpx.TimeoutException:
            raise ApiFailure(
                "timeout", f"{self.target.server}: no answer to {what} within {self._budget:g} s"
            ) from None
        except self._httpx.HTTPError as exc:
            raise ApiFailure("unreachable", f"{self.target.server}: {_reason(exc)}") from None
        except OSError as exc:  # a client certificate or CA file that cannot be read
            raise ApiFailure("error", f"{self.target.source}: {exc}") from None
        except Exception as exc:  # lightkube's ConfigError (an exec plugin that failed...)
            message = f"{self.target.source}: {type(exc).__name__}: {exc}"
            raise ApiFailure("error", message) from None


def _labels(selector: str | None) -> dict[str, Any] | None:
    """`a=b,c=d` as lightkube takes a label selector."""
    if not selector:
        return None
    return dict(part.split("=", 1) for part in selector.split(",") if "=" in part)


def _shorten(client: Any, timeout: Any) -> None:
    """Give the next request only the time left. lightkube sets one timeout per client; its
    httpx client (two private attributes down, pinned in constraints.txt and tested) takes a new
    one per request. Without that attribute each request keeps the whole budget: the parent
    still bounds the run (collect.py waits for the API at most the deadline)."""
    http = getattr(getattr(client, "_client", None), "_client", None)
    if http is not None and hasattr(http, "timeout"):
        http.timeout = timeout


def _api_error(what: str, exc: Any) -> ApiFailure:
    status = exc.status
    code = getattr(status, "code", None)
    message = getattr(status, "message", None) or str(exc)
    kinds = {401: "unauthorized", 403: "forbidden", 404: "not-found"}
    if code == 401:
        message = "the credentials were refused (Unauthorized): an expired token or certificate?"
    return ApiFailure(kinds.get(code or 0, "error"), f"{what}: {message}")


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def _what(resource: type[Any], name: str | None, namespace: str | None) -> str:
    kind = resource._api_info.plural
    where = (
        " in all namespaces"
        if namespace == "*"
        else f" in namespace {namespace}"
        if namespace
        else ""
    )
    return f"get {kind} {name}{where}" if name else f"list {kind}{where}"


def _plain(obj: Any) -> dict[str, Any]:
    data: dict[str, Any] = obj.to_dict()
    metadata = data.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("managedFields", None)  # bulky, and nothing a diagnosis reads
    return data
