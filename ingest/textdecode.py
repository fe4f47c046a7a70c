"""Decode text files whose encoding is not declared: UTF-8, UTF-16 (BOM or not), GB18030/GBK."""
from __future__ import annotations

import codecs

from .errors import UndecodableText


def _plausible(text: str) -> bool:
    if not text:
        return True
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\r\n\t\f") or ch == "\ufffd" or 0xE000 <= ord(ch) <= 0xF8FF)
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
