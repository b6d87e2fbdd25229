"""tools/compose_smoke.py's mail check (the journey itself is tools/smoke.py's, run by CI on
`docker compose up`): every e-mail of the journey found in the mail catcher exactly once."""

import io
import json

import pytest

from tools import compose_smoke, smoke


@pytest.fixture
def mailpit(monkeypatch):
    """The outbox rows 11 and 12 sent; `listed` is what the mail catcher's API answers."""
    listed = []

    def sql(query, *params):
        if "GROUP BY status" in query:
            return [("sent", 2)]
        if "FROM ab_user" in query:  # the partner's address
            return [("partner@example.com",)]
        return [(11, "partner@example.com"), (12, "manager@example.com")]

    def urlopen(url, timeout):
        assert url == "http://mail:8025/api/v1/messages?limit=5000"
        return io.BytesIO(json.dumps({"messages": listed}).encode())

    monkeypatch.setattr(smoke, "sql", sql)
    monkeypatch.setattr(compose_smoke, "urlopen", urlopen)
    monkeypatch.setattr(smoke.time, "sleep", lambda _s: None)
    return listed


def message(row_id: int, angled: bool = False) -> dict:
    found = f"outbox-{row_id}.1764300000@replan.local"
    return {"MessageID": f"<{found}>" if angled else found, "Subject": "s"}


def test_each_email_received_once_passes(mailpit):
    mailpit += [message(11), message(12, angled=True), message(3)]  # 3: before the journey
    compose_smoke.check_mailpit("http://mail:8025", since_id=10)


def test_an_email_received_twice_fails(mailpit):
    mailpit += [message(11), message(12), message(12)]
    with pytest.raises(AssertionError, match="more than once"):
        compose_smoke.check_mailpit("http://mail:8025", since_id=10)


def test_an_email_never_received_fails(mailpit):
    mailpit += [message(11)]
    with pytest.raises(AssertionError, match="never arrived.*outbox-12"):
        compose_smoke.check_mailpit("http://mail:8025", since_id=10)
