"""How the Dask executor tells a scheduler outage (ClusterError: nobody's attempt is spent) from a lost
task (an attempt spent), without a cluster: a stand-in client and futures."""

from __future__ import annotations

import concurrent.futures
import threading
import time

import pytest

from autograder.cluster import executor as ex
from autograder.course.errors import ClusterError


class Client:
    def __init__(self, status: str = "running"):
        self.status = status


class Future:
    def __init__(self, status: str, exc: BaseException):
        self.status, self.exc = status, exc

    def result(self, timeout=None):
        raise self.exc

    def exception(self, timeout=None):
        return self.exc


class Spec:
    def describe(self) -> str:
        return "the Dask scheduler at tls://127.0.0.1:1"


def executor(client: Client, fut: Future) -> ex.DaskExecutor:
    d = object.__new__(ex.DaskExecutor)  # no cluster: only what _outcome reads
    d.client, d.spec, d._pending = client, Spec(), {"k": ("alice", fut)}
    return d


@pytest.mark.parametrize("status", ["finished", "error"])
def test_a_failure_the_client_then_calls_a_lost_connection_spends_no_attempt(monkeypatch, status):
    monkeypatch.setattr(ex, "CONNECTION_GRACE", 5.0)
    client = Client()
    d = executor(client, Future(status, OSError("comm closed")))
    threading.Timer(0.3, lambda: setattr(client, "status", "connecting")).start()
    with pytest.raises(ClusterError, match=r"lost the connection .* 1 submission\(s\) in flight"):
        d._outcome("k")


def test_a_lost_result_on_a_healthy_connection_is_a_lost_task(monkeypatch):
    monkeypatch.setattr(ex, "CONNECTION_GRACE", 0.2)
    d = executor(Client(), Future("finished", concurrent.futures.CancelledError()))
    o = d._outcome("k")
    assert o.key == "alice" and o.results_json is None and "lost its result" in o.failure
    assert d._pending == {}  # reported once


def test_a_task_that_failed_on_its_worker_is_lost_at_once(monkeypatch):
    monkeypatch.setattr(ex, "CONNECTION_GRACE", 60.0)  # not waited for: not a connection failure
    d = executor(Client(), Future("error", ValueError("the worker raised")))
    o = d._outcome("k")
    assert o.results_json is None and "ValueError: the worker raised" in o.failure


class HangingFetch(Future):
    """A finished task whose result cannot be fetched: each try times out (``slow`` tries, then it
    arrives; or forever)."""

    def __init__(self, slow: int | None = None):
        super().__init__("finished", TimeoutError())
        self.slow, self.tries, self.timeouts = slow, 0, []

    def result(self, timeout=None):
        self.tries += 1
        self.timeouts.append(timeout)
        if self.slow is not None and self.tries > self.slow:
            return ('{"score": 1}', "", False)
        time.sleep(0.1)  # a real fetch would wait out its slice
        raise TimeoutError


def test_a_fetch_left_hanging_by_the_scheduler_stops_soon_after_the_client_notices(monkeypatch):
    client = Client()
    fut = HangingFetch()
    d = executor(client, fut)
    threading.Timer(0.3, lambda: setattr(client, "status", "connecting")).start()
    with pytest.raises(ClusterError, match="lost the connection"):
        d._outcome("k")
    assert max(fut.timeouts) <= 1.0  # asked in slices of a second, not once for the whole deadline


def test_a_slow_fetch_on_a_healthy_connection_still_delivers(monkeypatch):
    d = executor(Client(), HangingFetch(slow=2))
    o = d._outcome("k")
    assert o.results_json == '{"score": 1}' and o.failure == ""
