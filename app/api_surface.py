"""The REST API v1 surface: the one list of API area modules.

Each module in MODULES has a blueprint `bp` made by app.api.api_blueprint and module-level
`PATHS` (OpenAPI path items) and `SCHEMAS` (component schemas) documenting its routes; this
module registers them all and is where the OpenAPI document is assembled from them.
"""

from __future__ import annotations

from flask import Flask

import app.api as api_me
import app.api_conversation as api_conversation
import app.api_catalogue as api_catalogue
import app.api_prefill as api_prefill
import app.api_requests as api_requests
import app.api_signatures as api_signatures
from app import openapi

MODULES = (api_me, api_conversation, api_catalogue, api_requests, api_prefill, api_signatures)


def install(app: Flask, csrf) -> None:
    api_me.install_api(app, csrf, [module.bp for module in MODULES])
    openapi.install(app, MODULES)  # GET /api/v1/openapi.json and /api/v1/docs, public
