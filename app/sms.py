"""Text messages through a pluggable gateway: a logging one by default, one HTTP adapter.

The gateway is chosen by configuration (app.config, else the environment):

    SMS_GATEWAY_URL      https endpoint of the provider; unset = LoggingGateway (nothing sent)
    SMS_GATEWAY_TOKEN    sent as "Authorization: Bearer <token>"
    SMS_GATEWAY_SENDER   sender name passed to the provider (default "Replan")
    SMS_GATEWAY_TIMEOUT  seconds to wait for the provider (default 5)

HttpGateway POSTs JSON {"to": "+79991234567", "text": "...", "sender": "Replan"} and takes any
2xx answer as accepted; anything else (or no answer) is an SmsError the caller shows.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.error
import urllib.request

from flask import current_app

log = logging.getLogger(__name__)


class SmsError(Exception):
    """The gateway did not accept the message."""


class LoggingGateway:
    """Development and tests: the message goes to the log, not to a phone."""

    name = "log"

    def send(self, phone: str, text: str) -> None:
        log.info("SMS to %s: %s", phone, text)


class HttpGateway:
    """A provider's HTTP API: one JSON POST with a bearer token per message."""

    name = "http"

    def __init__(self, url: str, token: str = "", sender: str = "Replan",
                 timeout: float = 5.0):
        self.url, self.token, self.sender, self.timeout = url, token, sender, timeout

    def send(self, phone: str, text: str) -> None:
        body = json.dumps({"to": phone, "text": text, "sender": self.sender}).encode()
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            request = urllib.request.Request(self.url, data=body, headers=headers,
                                             method="POST")
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            raise SmsError(f"gateway answered {error.code}") from None
        except (urllib.error.URLError, OSError) as error:
            raise SmsError(f"gateway unreachable: {error}") from None
        except ValueError as error:  # a malformed SMS_GATEWAY_URL ("htp//x"): a setting error
            raise SmsError(f"gateway address invalid: {error}") from None
        if not 200 <= status < 300:
            raise SmsError(f"gateway answered {status}")


def _option(name: str, default: str = "") -> str:
    value = current_app.config.get(name)
    return str(value) if value not in (None, "") else os.environ.get(name, default)


def gateway() -> LoggingGateway | HttpGateway:
    """The configured gateway (HttpGateway when SMS_GATEWAY_URL is set)."""
    url = _option("SMS_GATEWAY_URL")
    if not url:
        return LoggingGateway()
    try:
        timeout = float(_option("SMS_GATEWAY_TIMEOUT", "5"))
    except ValueError:
        timeout = 5.0
    return HttpGateway(url, _option("SMS_GATEWAY_TOKEN"), _option("SMS_GATEWAY_SENDER",
                                                                   "Replan"), timeout)


def send_sms(phone: str, text: str) -> None:
    """Send one text message through the configured gateway (SmsError when refused)."""
    gateway().send(phone, text)
