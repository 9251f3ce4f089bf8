namespace SatsMotion.Server.Admin;

/// <summary>
/// What the operator console reads beyond jobs and refunds, for both databases' migrations (<c>bigint</c>: their
/// 64-bit integer type): challenges counted per day (a 402 itself writes nothing; each server adds its counts in
/// batches), invoices settled below their price, console sessions and the log of console actions.
/// </summary>
public static class ConsoleSchema
{
    public static string Tables(string bigint) => $"""
        CREATE TABLE IF NOT EXISTS daily_counts (
            day {bigint} NOT NULL,
            name TEXT NOT NULL,
            count {bigint} NOT NULL,
            PRIMARY KEY (day, name)
        );
        CREATE TABLE IF NOT EXISTS underpaid_invoices (
            payment_hash TEXT PRIMARY KEY,
            token_id TEXT NOT NULL,
            model TEXT NOT NULL,
            price_sats {bigint} NOT NULL,
            received_msat {bigint} NOT NULL,
            seen_at {bigint} NOT NULL
        );
        CREATE TABLE IF NOT EXISTS admin_sessions (
            id_hash TEXT PRIMARY KEY,
            created_at {bigint} NOT NULL,
            expires_at {bigint} NOT NULL
        );
        CREATE TABLE IF NOT EXISTS admin_actions (
            id TEXT PRIMARY KEY,
            at {bigint} NOT NULL,
            who TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS admin_actions_by_time ON admin_actions(at);
        CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs(created_at);
        """;
}
