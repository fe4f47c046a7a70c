"""Decode text files whose encoding is not declared: UTF-8, UTF-16 (BOM or not), GB18030/GBK."""
from __future__ import annotations

import codecs
import re

from .errors import UndecodableText

# control characters other than \t \n \f \r, the replacement character, and the private use area
_IMPLAUSIBLE = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd\ue000-\uf8ff]")


def _plausible(text: str) -> bool:
    if not text:
        return True
    bad = len(text) - len(_IMPLAUSIBLE.sub("", text))
    return bad / len(text) < 0.01


def decode_text(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name); raise UndecodableText when no candidate reads cleanly."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc), enc
    candidates = ["utf-8"]
    if len(data) >= 4 and data.count(0) > len(data) // 4:
        candidates = ["utf-16-le", "utf-16-be", *candidates] if data[1::2].count(0) > data[0::2].count(0) else ["utf-16-be", "utf-16-le", *candidates]
    candidates.append("gb18030")
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _plausible(text):
            return text, enc
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
    except Exception:
        best = None
    if best is not None and _plausible(str(best)):
        return str(best), best.encoding
    raise UndecodableText("cannot determine the text encoding (tried UTF-8, UTF-16, GB18030 and detection); save the file as UTF-8")
