"""The pages' tables: web sessions, passwords, invites, sign-in failures, regrades and their items.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

from autograder.portal.db.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "web_passwords",
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("hash", sa.String(255), nullable=False),
        sa.Column("set_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "web_invites",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_index("ix_web_invites_user_id", "web_invites", ["user_id"])
    op.create_table(
        "web_signin_failures",
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "web_regrades",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("assignment", sa.String(100), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("old_hash", sa.String(200), nullable=False),
        sa.Column("new_hash", sa.String(64), nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decided_at", UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_regrades_assignment", "web_regrades", ["assignment"])
    op.create_index("ix_web_regrades_status", "web_regrades", ["status"])
    op.create_table(
        "web_regrade_items",
        sa.Column("regrade_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.String(100), nullable=False),
        sa.Column("submission_id", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("old_score", sa.Float(), nullable=True),
        sa.Column("old_results", sa.Text(), nullable=True),
        sa.Column("new_score", sa.Float(), nullable=True),
        sa.Column("max_score", sa.Float(), nullable=True),
        sa.Column("new_results", sa.Text(), nullable=True),
        sa.Column("new_hash", sa.String(64), nullable=False),
        sa.Column("failure", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["regrade_id"], ["web_regrades.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"]),
        sa.PrimaryKeyConstraint("regrade_id", "student_id"),
    )
    op.create_index("ix_web_regrade_items_state", "web_regrade_items", ["state"])


def downgrade() -> None:
    op.drop_table("web_regrade_items")
    op.drop_table("web_regrades")
    op.drop_table("web_signin_failures")
    op.drop_table("web_invites")
    op.drop_table("web_passwords")
    op.drop_table("web_sessions")
