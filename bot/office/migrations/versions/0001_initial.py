"""The app database as ipbot kept it in SQLite before migrations: users, sessions, exchanges, feedback, drafts,
gap groups, audit."""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    text, integer = sa.Text(), sa.Integer()
    op.create_table("users", sa.Column("name", text, primary_key=True), sa.Column("role", text, nullable=False),
                    sa.Column("password_hash", text, nullable=False), sa.Column("created_at", text, nullable=False))
    op.create_table("sessions", sa.Column("token_hash", text, primary_key=True),
                    sa.Column("user_name", text, sa.ForeignKey("users.name", ondelete="CASCADE"), nullable=False),
                    sa.Column("created_at", text, nullable=False), sa.Column("expires_at", text, nullable=False))
    op.create_table("gap_groups", sa.Column("id", integer, primary_key=True, autoincrement=True),
                    sa.Column("question", text, nullable=False), sa.Column("answer", text, nullable=False),
                    sa.Column("faq_doc_id", text, nullable=False, server_default=""), sa.Column("resolved_by", text, nullable=False),
                    sa.Column("resolved_at", text, nullable=False))
    op.create_table("exchanges", sa.Column("id", integer, primary_key=True, autoincrement=True),
                    sa.Column("session", text, nullable=False, server_default=""), sa.Column("question", text, nullable=False),
                    sa.Column("answer", text, nullable=False), sa.Column("citations", text, nullable=False, server_default="[]"),
                    sa.Column("abstained", integer, nullable=False, server_default="0"),
                    sa.Column("support", sa.Float(), nullable=False, server_default="0"),
                    sa.Column("mode", text, nullable=False, server_default=""), sa.Column("language", text, nullable=False, server_default="zh"),
                    sa.Column("created_at", text, nullable=False), sa.Column("gap_group", integer, sa.ForeignKey("gap_groups.id")))
    op.create_table("feedback", sa.Column("exchange_id", integer, sa.ForeignKey("exchanges.id", ondelete="CASCADE"), primary_key=True,
                                          autoincrement=False),
                    sa.Column("rating", integer, nullable=False), sa.Column("comment", text, nullable=False, server_default=""),
                    sa.Column("created_at", text, nullable=False))
    op.create_table("drafts", sa.Column("id", integer, primary_key=True, autoincrement=True), sa.Column("question", text, nullable=False),
                    sa.Column("facts", text, nullable=False, server_default="{}"), sa.Column("body", text, nullable=False),
                    sa.Column("citations", text, nullable=False, server_default="[]"),
                    sa.Column("language", text, nullable=False, server_default="zh"), sa.Column("author", text, nullable=False),
                    sa.Column("created_at", text, nullable=False), sa.Column("updated_at", text, nullable=False))
    op.create_table("audit", sa.Column("id", integer, primary_key=True, autoincrement=True), sa.Column("at", text, nullable=False),
                    sa.Column("actor", text, nullable=False), sa.Column("action", text, nullable=False),
                    sa.Column("target", text, nullable=False, server_default=""), sa.Column("detail", text, nullable=False, server_default=""))
    op.create_index("exchanges_gap", "exchanges", ["gap_group", "created_at"])


def downgrade() -> None:
    op.drop_index("exchanges_gap", "exchanges")
    for table in ("audit", "drafts", "feedback", "exchanges", "gap_groups", "sessions", "users"):
        op.drop_table(table)
