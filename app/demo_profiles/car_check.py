"""The car-check bureau (`flask replan demo --profile car-check`): data only.

Everything below is what an admin would type into the back office (services, their form
fields with option lines "value | Метка | Label | coefficient", document slots, SLA minutes,
status labels, PDF texts, interface texts (the engineer is an expert here), an approval step)
plus demo people and requests; app.demo_profiles
builds it through the same checks and use cases.
"""

from datetime import date

from app.permissions import ADMIN, DIRECTOR, ENGINEER, MANAGER, PARTNER, SUPERMANAGER
from models.approvals import GATE_ACCEPT
from models.partners import PARTNER_MEMBER, PARTNER_OWNER
from app.ui_texts import text_key
from models.texts import KIND_PARTNER_LABEL, KIND_PDF, KIND_UI

VIN_PATTERN = "[A-HJ-NPR-Z0-9]{17}"
CAR_GROUP = {"group_name": "Автомобиль", "group_name_en": "Car"}
OWNER_GROUP = {"group_name": "Владелец", "group_name_en": "Owner"}
CAR_CLASSES = ("economy | Эконом | Economy | 1\n"
               "comfort | Комфорт | Comfort | 1,2\n"
               "business | Бизнес | Business | 1,5\n"
               "premium | Премиум | Premium | 2")
CAR_FIELDS = [
    dict(CAR_GROUP, key="vin", label="VIN", label_en="VIN", field_type="pattern",
         required=True, pattern=VIN_PATTERN,
         pattern_message="VIN — 17 символов: латинские буквы без I, O, Q и цифры.",
         pattern_message_en="A VIN is 17 characters: Latin letters except I, O, Q, and digits.",
         help_text="На табличке в проёме двери водителя или под лобовым стеклом.",
         help_text_en="On the plate in the driver's door frame or under the windscreen."),
    dict(CAR_GROUP, key="make", label="Марка", label_en="Make", field_type="text",
         required=True, max_value=60),
    dict(CAR_GROUP, key="model", label="Модель", label_en="Model", field_type="text",
         required=True, max_value=60),
    dict(CAR_GROUP, key="year", label="Год выпуска", label_en="Year", field_type="integer",
         required=True, min_value=1950, max_value=date.today().year + 1),
    dict(CAR_GROUP, key="mileage", label="Пробег, км", label_en="Mileage, km",
         field_type="integer", required=True, min_value=0, max_value=3_000_000),
    dict(CAR_GROUP, key="car_class", label="Класс автомобиля", label_en="Car class",
         field_type="select", required=True, options=CAR_CLASSES,
         help_text="От класса зависит цена проверки.",
         help_text_en="The price depends on the class."),
]
OWNER_FIELDS = [
    dict(OWNER_GROUP, key="owner_phone", label="Телефон владельца",
         label_en="Owner's phone", field_type="phone", required=True, is_contact=True,
         help_text="Эксперт не видит телефон; звонит менеджер.",
         help_text_en="Experts do not see it; the manager calls."),
]
PHOTO_SLOTS = [
    dict(key="vin_photo", title="Фото VIN-таблички", title_en="Photo of the VIN plate",
         hint="Чтобы читались все 17 символов.", hint_en="All 17 characters readable.",
         accepted=["image"], min_files=1, max_files=2, kb_article="where-is-vin"),
    dict(key="car_photo", title="Фото автомобиля", title_en="Photo of the car",
         hint="Общий вид спереди и сбоку.", hint_en="Front and side view.",
         accepted=["image"], min_files=1, max_files=2),
]

PROFILE = {
    "seed": 2027,
    "settings": {"bureau": {"name": "ООО «АвтоЭксперт»", "inn": "7701234560",
                            "address": "г. Москва, Варшавское ш., д. 33",
                            "director": "Кузнецов А. В."}},
    "companies": [
        dict(name="Автосалон «Север»", inn="7714123459", city="Москва",
             discount_percent=0, email="office1@partner.example", phone="+7 495 000-00-01"),
        dict(name="Лизинг Про", inn="5003052454", city="Химки", discount_percent=5,
             email="office2@partner.example", phone="+7 495 000-00-02"),
    ],
    # username, role, first name, last name, company index, partner role
    "users": [
        ("admin", ADMIN, "Анна", "Админова", None, None),
        ("director", DIRECTOR, "Дмитрий", "Директоров", None, None),
        ("supermanager", SUPERMANAGER, "Сергей", "Старший", None, None),
        ("manager1", MANAGER, "Мария", "Менеджерова", None, None),
        ("expert1", ENGINEER, "Эдуард", "Экспертов", None, None),
        ("expert2", ENGINEER, "Елена", "Диагностова", None, None),
        ("partner1", PARTNER, "Павел", "Продавцов", 0, PARTNER_OWNER),
        ("partner1b", PARTNER, "Полина", "Салонова", 0, PARTNER_MEMBER),
        ("partner2", PARTNER, "Пётр", "Лизингов", 1, PARTNER_OWNER),
    ],
    "staff": {"managers": ["manager1"], "experts": ["expert1", "expert2"],
              "dispatcher": "supermanager"},
    "clients": [(0, "Орлов Виктор", "+7 916 200-30-01"), (0, "Зайцева Инна", "+7 916 200-30-02"),
                (1, "Волков Олег", "+7 916 200-30-03")],
    "knowledge": [
        ("cars", "Проверка автомобиля", [
            ("where-is-vin", "Где найти VIN", "article", True,
             "## VIN — 17 символов\n\nИщите табличку в проёме двери водителя, под лобовым "
             "стеклом слева или в СТС. Буквы I, O и Q в VIN не встречаются."),
            ("what-we-check", "Что входит в проверку", "article", True,
             "- история регистраций и ДТП;\n- залоги и ограничения;\n- пробег по данным "
             "техосмотров;\n- розыск и отзывные кампании."),
        ]),
    ],
    "price_rules": {
        "urgency": [("normal", "Обычная (20 минут)", "Normal (20 minutes)", "1"),
                    ("express", "Вне очереди", "Out of turn", "1,5")],
        "option": [("history_report", "Расширенная история обслуживания",
                    "Extended service history", 900)],
    },
    "services": [
        dict(code="vin_check", name="Проверка авто по VIN", name_en="Car check by VIN",
             order=1, base_rub=1500, rate_rub=0, hours="0.5",
             description="Отчёт по истории автомобиля; цена зависит от класса.",
             fields=CAR_FIELDS + OWNER_FIELDS, slots=PHOTO_SLOTS,
             sla_minutes={"submitted": 20},
             approvals=[("Проверка старшим экспертом", "Senior expert check", SUPERMANAGER,
                         GATE_ACCEPT)]),
        dict(code="inspection", name="Выездной осмотр", name_en="On-site inspection",
             order=2, base_rub=2000, rate_rub=3500, hours="2", rate_field="cars",
             description="Эксперт приезжает и осматривает автомобили на месте.",
             fields=CAR_FIELDS + [dict(CAR_GROUP, key="cars", label="Количество автомобилей",
                          label_en="Number of cars", field_type="integer", required=True,
                          min_value=1, max_value=50),
                     dict(CAR_GROUP, key="place", label="Место осмотра",
                          label_en="Inspection place", field_type="text", required=True,
                          max_value=300)] + OWNER_FIELDS,
             slots=PHOTO_SLOTS, sla_minutes={"submitted": 20}),
    ],
    "texts": [
        # the trade's own word for the role, wherever the interface names it (app.ui_texts)
        (KIND_UI, text_key("Engineer"), "ru", "Эксперт"),
        (KIND_UI, text_key("Engineer"), "en", "Expert"),
        (KIND_PARTNER_LABEL, "in_work", "ru", "Эксперт проверяет"),
        (KIND_PARTNER_LABEL, "in_work", "en", "Expert is checking"),
        (KIND_PARTNER_LABEL, "ready", "ru", "Отчёт готов"),
        (KIND_PARTNER_LABEL, "ready", "en", "Report ready"),
        (KIND_PDF, "card.header", "ru",
         "{{ bureau_name }} · Проверка автомобиля · заявка {{ number }}"),
        (KIND_PDF, "card.header", "en",
         "{{ bureau_name }} · Car check · request {{ number }}"),
        (KIND_PDF, "card.terms", "ru",
         "Отчёт составлен по данным открытых реестров и осмотру на дату проверки; он не "
         "заменяет диагностику на подъёмнике."),
        (KIND_PDF, "card.terms", "en",
         "The report is based on public registers and the inspection on the day of the check; "
         "it does not replace a diagnosis on a lift."),
        (KIND_PDF, "card.footer", "ru",
         "{{ bureau_name }} · ИНН {{ bureau_inn }} · горячая линия 8 800 000-00-00"),
        (KIND_PDF, "card.footer", "en",
         "{{ bureau_name }} · INN {{ bureau_inn }} · hotline 8 800 000-00-00"),
        (KIND_PDF, "act.terms", "ru",
         "Проверка автомобиля выполнена полностью. Заказчик претензий не имеет."),
    ],
    "pictures": [  # 8×6 PNGs standing in for the partners' photos
        "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAABxZ0isAAAAFUlEQVR42mPUiFrAgA0wMeAA9JAAAKtKAS508vliAAAAAElFTkSuQmCC",
        "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAABxZ0isAAAAFUlEQVR42mM8YWPEgA0wMeAA9JAAALfoAUKg9AOAAAAAAElFTkSuQmCC",
    ],
    "words": {"cancel": "Автомобиль уже продан", "approve": "Проверено, отчёт полный.",
              "note": "Внутренняя заметка: владелец просит звонить после 18:00.",
              "report": "Отчёт о проверке %s.pdf"},
    "requests": [
        dict(author="partner1", services=["vin_check"], status="draft",
             values=dict(vin="XTAGFL110KY123456", make="Lada", model="Vesta", year=2019,
                         mileage=64000, car_class="economy", owner_phone="+7 916 111-00-01")),
        dict(author="partner1", services=["vin_check"], status="submitted",
             values=dict(vin="Z94CB41AAGR323456", make="Hyundai", model="Solaris", year=2016,
                         mileage=118500, car_class="economy", owner_phone="+7 916 111-00-02")),
        dict(author="partner2", services=["vin_check"], status="submitted", urgency="express",
             values=dict(vin="WBA8E9C50JA123456", make="BMW", model="320i", year=2018,
                         mileage=87000, car_class="business", owner_phone="+7 916 111-00-03")),
        dict(author="partner1b", services=["vin_check"], status="assigned",
             values=dict(vin="XW8ZZZ61ZJG012345", make="Skoda", model="Octavia", year=2018,
                         mileage=99000, car_class="comfort", owner_phone="+7 916 111-00-04")),
        dict(author="partner2", services=["inspection", "vin_check"], status="in_progress",
             options=["history_report"],
             values=dict(cars=3, place="г. Химки, ул. Заводская, д. 5, стоянка",
                         vin="KNAGM4A77D5123456", make="Kia", model="Optima", year=2013,
                         mileage=180200, car_class="comfort", owner_phone="+7 916 111-00-05")),
        dict(author="partner1", services=["vin_check"], status="in_progress",
             values=dict(vin="JTDBR32E530012345", make="Toyota", model="Corolla", year=2003,
                         mileage=245000, car_class="economy", owner_phone="+7 916 111-00-06")),
        dict(author="partner1", services=["vin_check"], status="on_review",
             values=dict(vin="WDD2050421R123456", make="Mercedes-Benz", model="C 200",
                         year=2017, mileage=76000, car_class="premium",
                         owner_phone="+7 916 111-00-07")),
        dict(author="partner2", services=["inspection"], status="ready",
             values=dict(cars=2, place="г. Москва, Варшавское ш., д. 33",
                         vin="VF1RFB00X56123456", make="Renault", model="Megane", year=2006,
                         mileage=210000, car_class="economy", owner_phone="+7 916 111-00-08")),
        dict(author="partner1b", services=["vin_check"], status="ready",
             values=dict(vin="X9FMXXEEBMCU12345", make="Ford", model="Focus", year=2012,
                         mileage=156000, car_class="economy", owner_phone="+7 916 111-00-09")),
        dict(author="partner1", services=["vin_check"], status="delivered",
             values=dict(vin="Z8NAJL00050123456", make="Nissan", model="Qashqai", year=2015,
                         mileage=132000, car_class="comfort", owner_phone="+7 916 111-00-10")),
        dict(author="partner2", services=["vin_check"], status="closed",
             values=dict(vin="WVWZZZ1JZXW000001", make="Volkswagen", model="Golf", year=1999,
                         mileage=301000, car_class="economy", owner_phone="+7 916 111-00-11")),
        dict(author="partner1", services=["vin_check"], status="cancelled",
             values=dict(vin="XTA21703080123456", make="Lada", model="Priora", year=2008,
                         mileage=190000, car_class="economy", owner_phone="+7 916 111-00-12")),
    ],
}
