"""The OpenAPI document and the docs page speak the reader's language: in Russian every
summary, description and title has Russian words (only pure code is left alone), in English
none has a Cyrillic letter; the document's title names the product by its configured name."""

import re

from tests.factories import as_user, make_user, post, settings_fields

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
WORD = re.compile("[A-Za-z]{2,}")
TEXT_KEYS = ("summary", "description", "title")
PURE_CODE = {"REST API Replan"}  # the API's title: a code word and the product's name


def texts(node, path="") -> list[tuple[str, str]]:
    """Every (path, text) of a summary, description or title anywhere in the document."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in TEXT_KEYS and isinstance(value, str):
                found.append((f"{path}/{key}", value))
            found += texts(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += texts(value, f"{path}/{index}")
    return found


def document(client, language: str) -> dict:
    response = client.get("/api/v1/openapi.json", headers={"Accept-Language": language})
    assert response.status_code == 200
    return response.get_json()


def test_russian_document_has_no_english_text(client):
    found = texts(document(client, "ru"))
    assert len(found) > 100  # the walk reached the operations and schemas
    english = sorted({text for _, text in found
                      if WORD.search(text) and not CYRILLIC.search(text)} - PURE_CODE)
    assert english == []


def test_russian_is_the_default(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert CYRILLIC.search(document["info"]["description"])
    assert CYRILLIC.search(document["paths"]["/me"]["get"]["summary"])


def test_english_document_has_no_russian_text(client):
    russian = [(path, text) for path, text in texts(document(client, "en"))
               if CYRILLIC.search(text)]
    assert russian == []


def test_title_names_the_product_by_its_configured_name(app, client):
    assert document(client, "ru")["info"]["title"] == "REST API Replan"
    assert document(client, "en")["info"]["title"] == "Replan REST API"
    admin = as_user(app, make_user("Admin"))
    response = post(admin, "/settings/", {**settings_fields(admin), "brand_name": "АвтоЭксперт"})
    assert response.status_code == 302
    for language, title in (("ru", "REST API АвтоЭксперт"), ("en", "АвтоЭксперт REST API")):
        info = document(client, language)["info"]
        assert info["title"] == title
        assert "АвтоЭксперт" in info["description"] and "Replan" not in info["description"]


def test_docs_page_reads_russian(client):
    html = client.get("/api/v1/docs?lang=ru").get_data(as_text=True)
    for text in ("Who the token belongs to", "Add files to a request", "Oldest first.",
                 "The `next_cursor` of the previous page.", "Download a file"):
        assert text not in html
    assert "\\u04" not in html  # the schemas' Russian texts are readable, not \u-escaped
    assert "Определяется по содержимому файла." in html  # a schema's description
