"""Document-level metadata: what the document says about itself, overridden by a sidecar ``NAME.meta.toml``."""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from knowledge.wordlists import read_mapping, read_words

from .errors import IngestError
from .model import ParsedDocument

DOC_TYPES = ("law", "administrative_regulation", "department_rule", "judicial_interpretation", "normative_document", "guideline", "faq", "guide")
LAW_TYPES = ("law", "administrative_regulation", "department_rule", "judicial_interpretation")  # legal texts, article by article
STATUSES = ("in_force", "amended", "repealed", "draft", "superseded")
_HEADER_KEYS = read_mapping("header_keys.tsv")
_TYPE_WORDS = read_mapping("doc_type_words.tsv")
_STATUS_WORDS = read_mapping("status_words.tsv")
_AUTHORITIES = tuple(read_words("authorities.txt"))
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def _iso(m: re.Match) -> str:
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"


def _names_a_law(title: str) -> bool:
    """Whether ``re.search(r"法(（.*?）)?$|民法典", title)`` matches, without its quadratic backtracking
    on a long title full of "法（": ends with 法 or with a 法（…） on its last line, or holds 民法典."""
    if "民法典" in title:
        return True
    end = title[:-1] if title.endswith("\n") else title  # "$" also matches before a final newline
    if end.endswith("法"):
        return True
    return end.endswith("）") and "法（" in end[end.rfind("\n") + 1 : -1]


def classify_title(title: str) -> str:
    """A document type guessed from a Chinese title."""
    if "最高人民法院" in title or "最高人民检察院" in title:
        return "judicial_interpretation"
    if "审查指南" in title:
        return "guideline"
    if re.search(r"(问答|FAQ|常见问题)", title, re.I):
        return "faq"
    if _names_a_law(title) and "办法" not in title:
        return "law"
    if title.endswith("条例") or "条例（" in title or re.search(r"条例$", title):
        return "administrative_regulation"
    if re.search(r"(办法|规定|细则)$", title):
        return "administrative_regulation" if "实施细则" in title and "专利法" in title else "department_rule"
    if re.search(r"(通知|意见|公告)$", title):
        return "normative_document"
    return "guide"


def _authority(title: str, head: list[str]) -> str | None:
    """The issuing body: the one the title names, else the first one named on an adoption or publication line
    ("……审判委员会第1676次会议通过"), else the first one named near the top. Articles that merely mention
    another body (根据国务院的规定…) do not count when an adoption line names one."""
    in_title = [a for a in _AUTHORITIES if a in title]
    if in_title:
        return in_title[0]
    for lines in ([line for line in head if re.search(r"(通过|公布|发布|令)", line)], head):
        for line in lines:
            found = sorted((line.find(a), -len(a), a) for a in _AUTHORITIES if a in line)
            if found:
                return found[0][2]
    return None


def extract_metadata(doc: ParsedDocument) -> dict:
    """doc_type, jurisdiction, status, promulgation and effective dates found in the document's own text."""
    meta: dict = {"doc_type": classify_title(doc.title), "jurisdiction": "national", "status": "in_force"}
    for key, value in (doc.metadata.get("header") or {}).items():
        field = _HEADER_KEYS.get(key.strip().lower()) or _HEADER_KEYS.get(key.strip())
        if not field:
            continue
        low = value.strip().lower()
        if field == "doc_type":
            meta["doc_type"] = _TYPE_WORDS.get(low, _TYPE_WORDS.get(value.strip(), meta["doc_type"]))
        elif field == "status":
            meta["status"] = _STATUS_WORDS.get(low, meta["status"])
        elif field == "jurisdiction":
            meta["jurisdiction"] = "national" if value.strip() in ("全国", "national") else value.strip()
        else:
            meta[field] = value.strip()
    head = [b.text for b in doc.blocks[:12] if not b.level]
    if "authority" not in meta:
        authority = _authority(doc.title, head)
        if authority:
            meta["authority"] = authority
        elif meta["doc_type"] == "judicial_interpretation":
            meta["authority"] = "最高人民法院"
    dates = [_iso(m) for line in head for m in _DATE.finditer(line) if re.search(r"(通过|修正|修订|公布|发布)", line)]
    if dates:
        meta["promulgation_date"] = max(dates)
    text = "\n".join(b.text for b in doc.blocks[-8:]) + "\n" + "\n".join(head)
    m = re.search(r"自\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*起施行", text)
    if m:
        meta["effective_date"] = _iso(_DATE.search(m.group(1)))
    if "effective_date" in meta and (iso := _ISO.search(str(meta["effective_date"]))):
        meta["effective_date"] = _iso(iso)
    if meta.get("effective_date") and meta.get("promulgation_date", "") > meta["effective_date"]:
        meta["original_effective_date"] = meta.pop("effective_date")
    return meta


def read_sidecar(path: Path) -> dict:
    """Metadata from ``NAME.meta.toml`` beside the document (empty when there is none)."""
    sidecar = path.with_name(path.name + ".meta.toml")
    if not sidecar.exists():
        sidecar = path.with_suffix(".meta.toml")
    if not sidecar.exists():
        return {}
    try:
        data = tomllib.loads(sidecar.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IngestError(f"bad metadata sidecar {sidecar.name}: {exc}") from exc
    return validate_overrides({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}, sidecar.name)


def validate_overrides(meta: dict, origin: str = "options") -> dict:
    """Check doc_type and status values, naming the bad value and the valid ones."""
    if "doc_type" in meta and meta["doc_type"] not in DOC_TYPES:
        raise IngestError(f"{origin}: doc_type {meta['doc_type']!r} is not one of {', '.join(DOC_TYPES)}")
    if "status" in meta and meta["status"] not in STATUSES:
        raise IngestError(f"{origin}: status {meta['status']!r} is not one of {', '.join(STATUSES)}")
    return meta
