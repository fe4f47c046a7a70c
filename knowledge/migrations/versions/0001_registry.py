"""The registry: documents, their chunks (text, lexical tokens, metadata), the chunks' sentence embeddings, and a
meta table (embedding model, change counter). A registry file from before migrations has these tables and is
stamped with this revision."""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sa.Text()
    op.create_table("meta", sa.Column("key", text, primary_key=True), sa.Column("value", text, nullable=False))
    op.create_table("documents",
                    sa.Column("doc_id", text, primary_key=True), sa.Column("source", text, nullable=False, unique=True),
                    sa.Column("sha256", text, nullable=False), sa.Column("title", text, nullable=False),
                    sa.Column("fmt", text, nullable=False, server_default=""), sa.Column("status", text, nullable=False),
                    sa.Column("chunk_count", sa.Integer, nullable=False), sa.Column("version", sa.Integer, nullable=False),
                    sa.Column("ingested_at", text, nullable=False), sa.Column("metadata", text, nullable=False, server_default="{}"),
                    sa.Column("warnings", text, nullable=False, server_default="[]"))
    op.create_table("chunks",
                    sa.Column("chunk_id", text, primary_key=True),
                    sa.Column("doc_id", text, sa.ForeignKey("documents.doc_id", ondelete="CASCADE"), nullable=False),
                    sa.Column("ordinal", sa.Integer, nullable=False), sa.Column("text", text, nullable=False),
                    sa.Column("tokens", text, nullable=False), sa.Column("metadata", text, nullable=False))
    op.create_index("chunks_doc", "chunks", ["doc_id", "ordinal"])
    op.create_table("sentence_vectors", sa.Column("chunk_id", text, primary_key=True), sa.Column("vectors", sa.LargeBinary, nullable=False))


def downgrade() -> None:
    for table in ("sentence_vectors", "chunks", "documents", "meta"):
        op.drop_table(table)
