"""Configure a mortgage broker in the back office, as an admin does it, with a real browser.

The walk of docs/configuring.md ("Configure a third bureau without code"): every step goes
through the back-office screens (no database writes, no API), a screenshot of each screen is
saved (ru, 1280 px), then a partner fills the new service's form at 375 px and submits it.
A refused save stops the walk with the page's message, so the document stays true.

    .venv/bin/python tools/configure_mortgage.py http://127.0.0.1:5088 docs/img/configuring

against a server on the default demo database (`flask replan demo`; password
replan-demo-2026). Needs Playwright and Chromium (/usr/bin/chromium); Pillow, when present,
shrinks the PNGs to a 256-colour palette.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

PASSWORD = "replan-demo-2026"
CHROMIUM = "/usr/bin/chromium"
SERVICE = "Ипотечное сопровождение"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages" \
      b"/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

FIELDS = [  # what the admin types into "New request form field", one dict a field
    dict(key="borrower", label="Заёмщик (ФИО)", label_en="Borrower (full name)",
         field_type="text", required=True, is_contact=True, group_name="Заёмщики",
         group_name_en="Borrowers"),
    dict(key="has_coborrower", label="Есть созаёмщик", label_en="There is a co-borrower",
         field_type="boolean", group_name="Заёмщики", group_name_en="Borrowers"),
    dict(key="coborrower", label="Созаёмщик (ФИО)", label_en="Co-borrower (full name)",
         field_type="text", required=True, is_contact=True, group_name="Заёмщики",
         group_name_en="Borrowers", show_if_key="has_coborrower", show_if_value="да"),
    dict(key="income", label="Доход в месяц, ₽", label_en="Monthly income, ₽",
         field_type="money", required=True, min_value="0",
         max_value="100000000", group_name="Ипотека", group_name_en="Mortgage",
         help_text="Доход заёмщика и созаёмщика вместе, до вычета налога.",
         help_text_en="Borrower's and co-borrower's together, before tax."),
    dict(key="bank", label="Банк", label_en="Bank", field_type="select",
         required=True, group_name="Ипотека", group_name_en="Mortgage",
         options="sber | Сбербанк | Sberbank\nvtb | ВТБ | VTB | 1,1\n"
                 "alfa | Альфа-Банк | Alfa-Bank | 1,2\nother | Другой банк | Other bank | 1,3"),
    dict(key="phone", label="Контактный телефон", label_en="Contact phone",
         field_type="phone", required=True, is_contact=True, group_name="Контакты",
         group_name_en="Contacts"),
]
SLOTS = [
    dict(key="passport", title="Паспорт заёмщика", title_en="Borrower's passport",
         hint="Разворот с фото и страница с регистрацией.", accepted=("pdf", "image"),
         min_files=1, max_files=2, personal=True),
    dict(key="income_statement", title="Справка о доходах", title_en="Income statement",
         hint="2-НДФЛ или справка по форме банка за 6 месяцев.", accepted=("pdf",),
         min_files=1, max_files=1),
]


class Walk:
    def __init__(self, page: Page, base: str, out: Path):
        self.page, self.base, self.out = page, base.rstrip("/"), out

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def shot(self, name: str, full: bool = False) -> None:
        path = self.out / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full)
        shrink(path)
        print("saved", path)

    def choose(self, selector: str, label: str | None = None, value: str | None = None) -> None:
        """Pick an option by its text or value (FAB's selects are Select2-wrapped)."""
        found = self.page.eval_on_selector(selector, """(el, [label, value]) => {
            const o = Array.from(el.options).find(o => value !== null ? o.value === value
                                                               : o.text.trim() === label);
            if (!o) return null;
            el.value = o.value; el.dispatchEvent(new Event('change', {bubbles: true}));
            return o.value; }""", [label, value])
        if found is None:
            raise SystemExit(f"{selector}: no option {label or value!r}")

    def save(self, form: str, button: str = "button[type=submit]") -> None:
        """Submit and stop the walk if the page refuses (a red message or field error)."""
        self.page.locator(f"{form} {button}").last.click()
        self.page.wait_for_load_state()
        refused = self.page.locator(".alert-danger, .has-error, .flash.error").all_inner_texts()
        if refused:
            self.shot("refused", full=True)
            raise SystemExit(f"refused at {self.page.url}: {refused}")

    def login(self, username: str) -> None:
        self.go("/logout/")
        self.go("/login/")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()


def shrink(path: Path) -> None:
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def add_field(w: Walk, number: int, field: dict) -> None:
    """One "New request form field" form, filled and saved."""
    page = w.page
    w.go("/service-fields/add")
    w.choose("#service", SERVICE)
    w.choose("#field_type", value=field["field_type"])
    for name in ("key", "label", "label_en", "group_name", "group_name_en", "help_text",
                 "help_text_en", "min_value", "max_value", "show_if_key", "show_if_value"):
        if name in field:
            page.fill(f"#{name}", field[name])
    page.fill("#sort_order", str(number * 10))
    if "options" in field:
        page.fill("#options", field["options"])
    for flag in ("required", "is_contact"):
        if field.get(flag):
            page.check(f"#{flag}")
    if field["key"] in ("coborrower", "bank"):
        w.shot(f"03-field-{field['key']}", full=True)
    w.save("form:has(#key)")


def admin_steps(w: Walk) -> None:
    page = w.page
    # 1. the service, its base price (fixed: the form has no number field to multiply yet)
    w.go("/services/add")
    page.fill("#code", "mortgage")
    page.fill("#name", SERVICE)
    page.fill("#name_en", "Mortgage support")
    page.fill("#description", "Подбор банка, сбор документов, сопровождение до сделки.")
    page.fill("#base_price_kopecks", "25 000")
    page.fill("#price_per_m2_kopecks", "0")
    page.fill("#estimated_hours", "6")
    page.fill("#sort_order", "20")
    w.shot("01-service")
    w.save("form:has(#code)")
    w.shot("02-service-saved")
    # 2. the form's fields, one by one
    for number, field in enumerate(FIELDS, start=1):
        add_field(w, number, field)
    w.go("/service-fields/add")  # the list filtered by the new service (its id from the form)
    service_id = page.eval_on_selector("#service", """(el, name) => Array.from(el.options)
        .find(o => o.text.trim() === name).value""", SERVICE)
    w.go(f"/service-fields/list/?_flt_0_service={service_id}"
         "&_oc_ServiceFieldView=sort_order&_od_ServiceFieldView=asc")
    w.shot("04-fields-list")
    # 3. the documents at intake
    for number, slot in enumerate(SLOTS, start=1):
        w.go("/document-slots/add")
        w.choose("#service", SERVICE)
        for name in ("key", "title", "title_en", "hint"):
            page.fill(f"#{name}", slot[name])
        boxes = page.locator("input[name=accepted]")
        for index in range(boxes.count()):
            box = boxes.nth(index)
            if box.get_attribute("value") in slot["accepted"]:
                box.check()
            else:
                box.uncheck()
        page.fill("#min_files", str(slot["min_files"]))
        page.fill("#max_files", str(slot["max_files"]))
        page.fill("#sort_order", str(number * 10))
        if slot.get("personal"):  # a passport: engineers do not see its files
            page.check("#is_personal")
        if number == 1:
            w.shot("05-slot", full=True)
        w.save("form:has(#min_files)")
    w.shot("06-slots-list")
    # 4. labels the partner reads (for the whole bureau: labels are not per service)
    for key, text in (("in_work", "Банк рассматривает"), ("ready", "Решение банка получено")):
        w.go(f"/texts/partner_label/{key}?locale=ru")
        page.fill("textarea[name=body], input[name=body]", text)
        if key == "in_work":
            w.shot("07-label")
        w.save("form:has([name=body])", "button[value=save]")
    # 5. SLA: a new mortgage request is taken within two hours
    w.go("/sla-by-service/")
    w.choose("#service_id", SERVICE)
    w.choose("#status", value="submitted")
    page.fill("#minutes", "120")
    w.save("form:has(#minutes)")
    w.shot("08-sla")
    # 6. the approval step: the director checks the deal before the documents go out
    w.go("/approval-steps/add")
    w.choose("#service", SERVICE)
    page.fill("#title", "Согласование с юристом")
    page.fill("#title_en", "Legal check")
    w.choose("#role_name", value="Director")
    w.choose("#gate", value="deliver")
    page.fill("#position", "1")
    w.shot("09-approval-step")
    w.save("form:has(#position)")


def partner_steps(w: Walk, phone: Page, tmp: Path) -> None:
    w.page = phone
    w.login("partner1")
    w.go("/cabinet/requests/new")
    phone.locator("li", has_text=SERVICE).locator("input[name=services]").check()
    phone.fill("input[name=borrower]", "Смирнов Алексей Петрович")
    phone.check("input[name=has_coborrower]")
    phone.fill("input[name=coborrower]", "Смирнова Ирина Олеговна")
    phone.fill("input[name=income]", "185 000")
    phone.select_option("select[name=bank]", "vtb")
    phone.fill("input[name=phone]", "+7 916 123-45-67")
    passport, statement = tmp / "паспорт.pdf", tmp / "2-НДФЛ.pdf"
    passport.write_bytes(PDF)
    statement.write_bytes(PDF)
    phone.set_input_files("#slot-passport", str(passport))
    phone.set_input_files("#slot-income_statement", str(statement))
    phone.locator("input[name=borrower]").scroll_into_view_if_needed()
    phone.evaluate("window.scrollBy(0, -120)")
    w.shot("10-partner-form-375")
    phone.locator("[data-slot=passport]").scroll_into_view_if_needed()
    phone.evaluate("window.scrollBy(0, -80)")
    w.shot("11-partner-documents-375")
    w.save("form:has([name=submit_now])", "button[name=submit_now]")
    w.shot("12-partner-request-375")


def main(base: str, out: str) -> None:
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as tmp:
        browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                             args=["--no-sandbox", "--disable-gpu"])
        desk = browser.new_context(viewport={"width": 1280, "height": 900},
                                   locale="ru-RU").new_page()
        walk = Walk(desk, base, target)
        walk.login("admin")
        admin_steps(walk)
        phone = browser.new_context(viewport={"width": 375, "height": 800}, locale="ru-RU",
                                    device_scale_factor=1).new_page()
        partner_steps(walk, phone, Path(tmp))
        browser.close()


if __name__ == "__main__":
    main(*(sys.argv[1:3] if len(sys.argv) >= 3 else sys.argv[1:2] + ["docs/img/configuring"]))
