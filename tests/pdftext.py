"""Read PDFs in pure Python (pypdf): the text a reader sees and the fonts embedded in it."""

from io import BytesIO

from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    """All pages' text, with non-breaking spaces read as spaces."""
    reader = PdfReader(BytesIO(data))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return text.replace("\xa0", " ")


def embedded_fonts(data: bytes) -> set[str]:
    """Base names of the fonts whose program is embedded in the file (like pdffonts 'emb')."""
    names = set()
    for page in PdfReader(BytesIO(data)).pages:
        fonts = (page.get("/Resources") or {}).get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts") or [font]:
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is None:
                    continue
                descriptor = descriptor.get_object()
                if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                    names.add(str(font.get("/BaseFont", "")).lstrip("/").split("+")[-1])
    return names
