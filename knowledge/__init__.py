"""The knowledge-base layer: vector store, BM25 index and document registry. Imports nothing else of ipbot."""
from pathlib import Path

from .base import KnowledgeBase
from .embeddings import EMBEDDING_BACKENDS, Embedder, make_embedder
from .errors import EmbeddingModelMismatch, KnowledgeError, StoreUnavailable, UnknownDocument
from .glossary import en_to_zh, law_aliases, load_glossary, zh_terms_in
from .lexical import IP_TERMS_FILE, tokenize
from .records import ChunkRecord, DocumentRecord, HitSignals, ScoredChunk
from .sentences import sentences_to_embed, split_sentences
from .tokens import count_tokens, prepare_tiktoken_cache

STARTER_DIR = Path(__file__).with_name("starter")
COLLOQUIAL_FILE = Path(__file__).with_name("colloquial.tsv")
COLLOQUIAL_EN_FILE = Path(__file__).with_name("colloquial_en.tsv")
IP_CORE_FILE = Path(__file__).with_name("ip_core.txt")

__all__ = [
    "KnowledgeBase", "Embedder", "make_embedder", "EMBEDDING_BACKENDS", "EmbeddingModelMismatch", "KnowledgeError",
    "StoreUnavailable", "UnknownDocument", "tokenize", "ChunkRecord", "DocumentRecord", "HitSignals", "ScoredChunk",
    "count_tokens", "prepare_tiktoken_cache", "split_sentences", "sentences_to_embed", "STARTER_DIR", "COLLOQUIAL_FILE", "COLLOQUIAL_EN_FILE", "IP_CORE_FILE", "IP_TERMS_FILE", "load_glossary", "law_aliases", "en_to_zh", "zh_terms_in",
]
