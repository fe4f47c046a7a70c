"""A job table for indexing in `ipbot worker` processes."""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text, integer = sa.Text(), sa.Integer()
    op.create_table("jobs", sa.Column("id", integer, primary_key=True, autoincrement=True), sa.Column("kind", text, nullable=False),
                    sa.Column("payload", text, nullable=False), sa.Column("status", text, nullable=False, server_default="queued"),
                    sa.Column("created_at", text, nullable=False), sa.Column("started_at", text, nullable=False, server_default=""),
                    sa.Column("finished_at", text, nullable=False, server_default=""),
                    sa.Column("worker", text, nullable=False, server_default=""),
                    sa.Column("lease_until", text, nullable=False, server_default=""),
                    sa.Column("attempts", integer, nullable=False, server_default="0"),
                    sa.Column("result", text, nullable=False, server_default="{}"))
    op.create_index("jobs_status", "jobs", ["status", "id"])


def downgrade() -> None:
    op.drop_index("jobs_status", "jobs")
    op.drop_table("jobs")
