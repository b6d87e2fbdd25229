"""Demo catalogue and knowledge base content (Russian, the bureau's own language)."""

SERVICES = [
    # code, name, name_en, base ₽, per m² ₽, hours
    ("measure", "Обмерный план помещения", "Measured floor plan", 5000, 60, 4),
    ("project", "Проект перепланировки", "Redevelopment project", 15000, 250, 16),
    ("tech_opinion", "Техническое заключение о состоянии конструкций",
     "Technical opinion on structures", 12000, 120, 10),
    ("sketch", "Эскизный проект", "Sketch design", 8000, 90, 6),
    ("approval", "Согласование перепланировки в МЖИ", "Approval with the housing inspectorate",
     25000, 0, 8),
    ("hidden_works", "Акт освидетельствования скрытых работ", "Hidden works certificate",
     7000, 0, 3),
    ("consult", "Консультация инженера", "Engineer consultation", 3000, 0, 1),
    ("visit", "Выезд инженера на объект", "Engineer site visit", 4000, 0, 3),
]

OBJECT_TYPE_RULES = [("apartment", "Квартира", "Apartment", "1.000"),
                     ("house", "Частный дом", "House", "1.300"),
                     ("commercial", "Нежилое помещение", "Commercial premises", "1.500"),
                     ("office", "Офис", "Office", "1.400")]
URGENCY_RULES = [("normal", "Обычная (10 рабочих дней)", "Normal (10 working days)", "1.000"),
                 ("fast", "Ускоренная (5 рабочих дней)", "Fast (5 working days)", "1.300"),
                 ("express", "Срочная (2 рабочих дня)", "Express (2 working days)", "1.600")]
OPTION_RULES = [("visualization", "3D-визуализация", "3D visualisation", 15000),
                ("out_of_town", "Выезд за город", "Out-of-town trip", 3000),
                ("courier", "Курьерская доставка документов", "Courier delivery", 1500)]

KB = [
    ("basics", "Основы перепланировки", [
        ("what-is-redevelopment", "Что считается перепланировкой", "article", True,
         "## Перепланировка и переустройство\n\n**Перепланировка** — изменение конфигурации "
         "помещения: перенос перегородок, объединение комнат, устройство проёмов.\n\n"
         "**Переустройство** — перенос инженерных сетей и оборудования.\n\n"
         "Обе работы требуют согласования с жилищной инспекцией."),
        ("forbidden-changes", "Что нельзя менять", "article", False,
         "## Запрещённые изменения\n\n- перенос мокрых зон над жилыми комнатами;\n"
         "- демонтаж несущих стен без усиления;\n- присоединение балкона с радиаторами.\n"),
    ]),
    ("documents", "Документы", [
        ("documents-list", "Какие документы нужны для заявки", "article", True,
         "## Пакет документов\n\n1. Выписка из ЕГРН.\n2. Технический паспорт БТИ.\n"
         "3. Поэтажный план.\n4. Фотографии помещения.\n"),
        ("request-template", "Шаблон доверенности", "template", False,
         "Заполните шаблон доверенности и приложите скан к заявке."),
    ]),
    ("faq", "Частые вопросы", [
        ("faq-terms", "Сколько длится согласование?", "faq", True,
         "Обычно 30–45 календарных дней с момента подачи документов в инспекцию."),
        ("faq-payment", "Когда оплачивать работу?", "faq", False,
         "Счёт выставляется после подготовки документов; пакет выдаётся после оплаты."),
    ]),
]
