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
from app.api_input import API_LOCALE, in_api_locale

MODULES = (api_me, api_conversation, api_catalogue, api_requests, api_prefill, api_signatures)


def install(app: Flask, csrf) -> None:
    blueprints = [module.bp for module in MODULES]
    api_me.install_api(app, csrf, blueprints)
    in_the_readers_language(app, {bp.name for bp in blueprints})
    openapi.install(app, MODULES)  # GET /api/v1/openapi.json and /api/v1/docs, public


def in_the_readers_language(app: Flask, names: set[str]) -> None:
    """Every route of the API answers in its reader's language (app.api_input.in_api_locale:
    Accept-Language, else the token owner's): a route that forgot the decorator answered
    its refusals in Russian to an English client (/confirmation-codes)."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.split(".", 1)[0] in names and not getattr(view, API_LOCALE, False):
            app.view_functions[endpoint] = in_api_locale(view)
