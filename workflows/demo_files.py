"""The documents a year of demo cases leaves behind, made on the spot (no file is shipped): a reply letter
(a one-page PDF) each time a unit replies, and photos (small PNGs) of the on-site visits. Both are marked
for the proposer: the letter is addressed to them and they were at the visits."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.cases import attachments
from engine.store import Case, User

# the tasks after which a photo of the site is attached: the first visit (办前沟通 上门走访) of every third
# case, and the visit that confirms what was implemented (办后沟通 到现场)
PHOTO_TASKS = {"handle_suggestion": "走访现场", "consult": "走访现场", "confirm_implementation": "现场确认"}


def reply_letter_pdf(lines: list[str]) -> bytes:
    """A one-page A4 PDF with these lines, in the reader's Song typeface (STSong-Light, one of the CJK
    fonts every PDF viewer knows by name, so nothing is embedded)."""
    text = ["BT", "/F1 16 Tf", "72 770 Td", "22 TL"]
    for i, line in enumerate(lines):
        if i == 1:
            text.append("/F1 11 Tf")
        text.append(f"<{line.encode('utf-16-be').hex().upper()}> Tj T*")
    text.append("ET")
    stream = "\n".join(text).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [6 0 R] >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> /FontDescriptor 7 0 R >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def site_photo_png(seed: int, width: int = 240, height: int = 160) -> bytes:
    """A small picture of a street: sky, a row of buildings of varying height, the road; `seed` varies it."""
    heights = [40 + (seed * 37 + i * 53) % 70 for i in range(8)]
    rows = []
    for y in range(height):
        row = bytearray([0])  # filter: none
        for x in range(width):
            block = heights[x * 8 // width]
            if y > height - 30:
                colour = (88, 92, 98) if (x // 12 + seed) % 5 or y != height - 15 else (235, 235, 235)
            elif y > height - 30 - block:
                shade = 150 + (x * 8 // width) * 9 % 60
                window = (x % 12 in (3, 4, 5)) and (y % 14 in (4, 5, 6, 7))
                colour = (250, 236, 170) if window and (x + y + seed) % 3 else (shade, shade - 20, shade - 40)
            else:
                colour = (150 + y // 2, 190 + y // 4, 235)
            row += bytes(colour)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))


def attach_reply_letter(ctx: Any, session: Session, user: User, case: Case, task_id: str, data: dict[str, Any],
                        unit_name: str, when: datetime) -> None:
    """The unit's reply letter, as the stamped scan it sends the proposer."""
    doc_no = str(data.get("reply_doc_no") or "").strip()
    lines = [f"关于《{case.title}》的答复", f"{doc_no}", f"{data.get('proposer_name') or ''}：",
             "您提出的建议收悉。经认真研究，现答复如下：",
             *_wrap(str(data.get("reply_text") or "我单位已研究办理，具体情况见正文。"), 36)[:12],
             f"{unit_name}", f"{when:%Y年%m月%d日}"]
    name = f"答复函 {doc_no or case.number}.pdf".replace("/", "-")
    attachments.store(session, ctx.config, user, case, name, io.BytesIO(reply_letter_pdf(lines)),
                      task_id=task_id, public=True)


def attach_site_photo(ctx: Any, session: Session, user: User, case: Case, task_id: str | None, what: str,
                      seed: int, when: datetime) -> None:
    name = f"{what} {when:%Y%m%d}.png"
    attachments.store(session, ctx.config, user, case, name, io.BytesIO(site_photo_png(seed)), task_id=task_id,
                      public=True)


def _wrap(text: str, width: int) -> list[str]:
    return [text[i:i + width] for i in range(0, len(text), width)] or [""]
