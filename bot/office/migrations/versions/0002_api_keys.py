"""API keys for other systems (stored as SHA-256 hashes)."""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("api_keys"):  # made by a development build before this migration existed
        return
    text = sa.Text()
    op.create_table("api_keys", sa.Column("id", text, primary_key=True), sa.Column("name", text, nullable=False, unique=True),
                    sa.Column("role", text, nullable=False), sa.Column("key_hash", text, nullable=False),
                    sa.Column("created_at", text, nullable=False), sa.Column("revoked_at", text, nullable=False, server_default=""),
                    sa.Column("last_used_at", text, nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_table("api_keys")
