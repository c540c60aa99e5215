"""Building letter templates in code with python-docx, in the layout of Chinese official
documents (党政机关公文格式 GB/T 9704-2012, simplified): A4, the issuing office's name in red at
the head, the title centred in 小标宋 (宋体 here), the document number (文号), the body in 仿宋
三号 (16 pt) with a two-character first-line indent, the office and date at the foot.

Chinese text is only set in a Chinese font if the font is named as the East Asian font
(`w:rFonts/@w:eastAsia`); Word's theme fonts are removed so nothing overrides it. The font table
names Noto Serif CJK SC / Noto Sans CJK SC (Debian's fonts-noto-cjk) as the alternative for
仿宋, 宋体 and 黑体, which LibreOffice uses where the Windows fonts are absent.

Placeholders are written in single runs, so Word keeps them whole until someone edits them:
`{{ office_name }}`; a paragraph-level loop is `{%p for item in items %}` … `{%p endfor %}`.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor

FANGSONG = "仿宋"
SONG = "宋体"
HEI = "黑体"
SERIF_FALLBACK = "Noto Serif CJK SC"
SANS_FALLBACK = "Noto Sans CJK SC"
ALT_NAMES = {FANGSONG: SERIF_FALLBACK, SONG: SERIF_FALLBACK, HEI: SANS_FALLBACK}
BODY_PT = 16  # 三号
TITLE_PT = 22  # 二号
LINE_PT = 28  # fixed line spacing of the body (22 lines a page)
RED = RGBColor(0xC0, 0x00, 0x00)

_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def set_fonts(rpr_owner: Any, east_asia: str, latin: str | None = None) -> None:
    """Name the fonts of a run or style: East Asian text in `east_asia`, Latin in `latin`."""
    rpr = rpr_owner.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
        rpr.insert(0, fonts)
    for attr in _THEME_ATTRS:
        if fonts.get(qn(attr)) is not None:
            del fonts.attrib[qn(attr)]
    latin = latin or east_asia
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)


class OfficialDocument:
    """A letter template under construction."""

    def __init__(self, *, core_title: str = "") -> None:
        self.doc = Document()
        section = self.doc.sections[0]
        section.start_type = WD_SECTION.NEW_PAGE
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
        self._defaults()
        self._font_table()
        self.doc.core_properties.title = core_title
        self.doc.core_properties.author = "tenderwatch"
        self.doc.core_properties.language = "zh-CN"

    def _defaults(self) -> None:
        styles = self.doc.styles.element
        defaults = styles.find(qn("w:docDefaults"))
        if defaults is not None:
            rpr_default = defaults.find(qn("w:rPrDefault"))
            rpr = rpr_default.find(qn("w:rPr")) if rpr_default is not None else None
            fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
            if fonts is not None:
                for attr in _THEME_ATTRS:
                    if fonts.get(qn(attr)) is not None:
                        del fonts.attrib[qn(attr)]
                fonts.set(qn("w:ascii"), FANGSONG)
                fonts.set(qn("w:hAnsi"), FANGSONG)
                fonts.set(qn("w:eastAsia"), FANGSONG)
            if rpr is not None:
                lang = rpr.find(qn("w:lang"))
                if lang is None:
                    lang = parse_xml(f"<w:lang {nsdecls('w')}/>")
                    rpr.append(lang)
                lang.set(qn("w:eastAsia"), "zh-CN")
        normal = self.doc.styles["Normal"]
        normal.font.size = Pt(BODY_PT)
        set_fonts(normal.element, FANGSONG)
        fmt = normal.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(LINE_PT)
        fmt.space_before = Pt(0)
        fmt.space_after = Pt(0)

    def _font_table(self) -> None:
        """Alternatives for the Chinese fonts (w:altName), for machines without them."""
        part = next(
            p for p in self.doc.part.package.iter_parts() if p.partname == "/word/fontTable.xml"
        )
        table = parse_xml(part.blob)
        for name, alt in ALT_NAMES.items():
            family = "modern" if name == HEI else "roman"
            table.append(
                parse_xml(
                    f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alt}"/>'
                    f'<w:charset w:val="86"/><w:family w:val="{family}"/>'
                    f'<w:pitch w:val="variable"/></w:font>'
                )
            )
        from lxml import etree

        part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)

    # -- blocks ---------------------------------------------------------------------------

    def _para(
        self,
        text: str = "",
        *,
        font: str = FANGSONG,
        size: float = BODY_PT,
        bold: bool = False,
        align: Any = WD_ALIGN_PARAGRAPH.JUSTIFY,
        indent: bool = False,
        color: RGBColor | None = None,
        space_before: float = 0,
        space_after: float = 0,
        exact: bool = True,
    ) -> Any:
        p = self.doc.add_paragraph()
        p.alignment = align
        fmt = p.paragraph_format
        if indent:
            fmt.first_line_indent = Pt(size * 2)
        fmt.space_before = Pt(space_before)
        fmt.space_after = Pt(space_after)
        if not exact:
            fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
        if text:
            run = p.add_run(text)
            run.font.size = Pt(size)
            run.bold = bold
            if color is not None:
                run.font.color.rgb = color
            set_fonts(run._element, font)
        return p

    def masthead(self, office_placeholder: str = "{{ office_name }}") -> None:
        """The issuing office in red, centred, and a red rule under the number."""
        self._para(
            office_placeholder,
            font=SONG,
            size=TITLE_PT + 4,
            bold=True,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            color=RED,
            space_after=12,
            exact=False,
        )

    def number(self, placeholder: str = "{{ letter_number }}") -> None:
        p = self._para(placeholder, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=6)
        # The red rule (版头中的分隔线) under the number.
        ppr = p._p.get_or_add_pPr()
        ppr.append(
            parse_xml(
                f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="12" w:space="6" '
                f'w:color="C00000"/></w:pBdr>'
            )
        )

    def title(self, text: str) -> None:
        self._para(
            text,
            font=SONG,
            size=TITLE_PT,
            bold=True,
            align=WD_ALIGN_PARAGRAPH.CENTER,
            space_before=18,
            space_after=18,
            exact=False,
        )

    def addressee(self, text: str) -> None:
        self._para(text, align=WD_ALIGN_PARAGRAPH.LEFT)

    def body(self, text: str) -> None:
        self._para(text, indent=True)

    def heading(self, text: str) -> None:
        """A first-level heading inside the body (一、…) in 黑体."""
        self._para(text, font=HEI, indent=True)

    def control(self, tag: str) -> None:
        """A docxtpl paragraph tag (`{%p for … %}`, `{%p endfor %}`): the paragraph vanishes."""
        self._para(tag, align=WD_ALIGN_PARAGRAPH.LEFT)

    def numbered(self, item: str, items: str, line: str) -> None:
        """One numbered paragraph per element of the list `items` (named `item` in `line`):
        "1. …", "2. …", as docxtpl repeats the paragraph between its two tags."""
        self.control(f"{{%p for {item} in {items} %}}")
        self.body("{{ loop.index }}. " + line)
        self.control("{%p endfor %}")

    def blank(self) -> None:
        self._para("")

    def signature(self, office: str = "{{ office_name }}", date: str = "{{ issued_on }}") -> None:
        self.blank()
        self._para(office, align=WD_ALIGN_PARAGRAPH.RIGHT)
        self._para(date, align=WD_ALIGN_PARAGRAPH.RIGHT)

    def note(self, text: str) -> None:
        """Small print at the end (抄送, contact), 仿宋 四号."""
        self._para(text, size=14, align=WD_ALIGN_PARAGRAPH.LEFT)

    def table(self, rows: list[tuple[str, str]]) -> None:
        """A two-column form (送达回证): label | value, with borders."""
        grid = self.doc.add_table(rows=0, cols=2)
        grid.style = self.doc.styles["Table Grid"]
        for label, value in rows:
            cells = grid.add_row().cells
            for cell, text, bold in ((cells[0], label, True), (cells[1], value, False)):
                p = cell.paragraphs[0]
                run = p.add_run(text)
                run.font.size = Pt(14)
                run.bold = bold
                set_fonts(run._element, FANGSONG)
        for row in grid.rows:
            row.cells[0].width = Mm(45)
            row.cells[1].width = Mm(111)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self.doc.save(out)
        return out.getvalue()
