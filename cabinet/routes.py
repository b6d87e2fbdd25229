"""Every cabinet route module, listed once: importing this puts all cabinet routes on bp."""

from cabinet import (account, api_tokens, bp, calculator, dashboard, documents, exports, knowledge,
                     notifications, prefill, request_actions, request_edit, requests, team,
                     telegram, webhooks)

ROUTE_MODULES = (account, api_tokens, calculator, dashboard, documents, exports, knowledge,
                 notifications, prefill, request_actions, request_edit, requests, team,
                 telegram, webhooks)

__all__ = ["ROUTE_MODULES", "bp"]
