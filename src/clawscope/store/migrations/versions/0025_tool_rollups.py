"""Tool and model-session roll-ups (issue 17): per-tool duration histograms and the per-day distinct
sessions per model, so `/stats/tools`, `/stats/models` and `/stats/providers` read roll-ups instead of
every call; filled from the rows already stored."""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The tables are defined once, in schema.py (revision 0025 section); created here as defined.
    from clawscope.store import rollup_model_sessions, rollup_prompts, rollup_tools, schema
    from clawscope.store.rollup_hours import refresh_all_hour_totals

    conn = op.get_bind()
    for table in schema.ROLLUP_0025_TABLES:
        table.create(conn, checkfirst=True)
    for index in (*schema.rollup_entries.indexes, *schema.tool_calls.indexes):
        if index.name in ("ix_rollup_entries_hour_sid", "ix_tool_calls_failed"):
            index.create(conn, checkfirst=True)
    rollup_tools.rebuild(conn)
    rollup_model_sessions.rebuild(conn)
    rollup_prompts.rebuild(conn)
    refresh_all_hour_totals(conn)


def downgrade() -> None:
    from clawscope.store import schema

    conn = op.get_bind()
    op.drop_index("ix_rollup_entries_hour_sid", table_name="rollup_entries")
    op.drop_index("ix_tool_calls_failed", table_name="tool_calls")
    for table in reversed(schema.ROLLUP_0025_TABLES):
        table.drop(conn, checkfirst=True)
