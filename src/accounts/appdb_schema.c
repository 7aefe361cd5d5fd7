/* appdb_schema.c — the account database's tables, as numbered migrations (appdb.h).
 *
 * The one owner of the schema: every other file reads and writes these tables through SQL
 * but never creates or alters one. A released migration is never edited: a change is a new
 * migration appended at the end (tests/unit/accounts/test_appdb.c upgrades a database from
 * every earlier version and checks it equals a fresh one).
 *
 * Conventions: times are Unix seconds (INTEGER, UTC); secrets (session tokens, link tokens,
 * API keys) are stored only as their SHA-256 (BLOB, 32 bytes), never in clear; email
 * addresses are stored trimmed and lower-cased by the code that writes them (COLLATE NOCASE
 * is a second guard); every row that belongs to a user goes with it (ON DELETE CASCADE),
 * except the audit log, which keeps the event and loses the person (ON DELETE SET NULL, and
 * the deleting code scrubs its detail), and closed_customers, which keeps a deleted paying
 * user's Stripe customer id and nothing else (migration 2 says why). */
#include "accounts/appdb.h"

const struct appdb_migration appdb_migrations[] = {
    {1, "accounts, sessions, sign-in links, preferences, watchlist, API keys, billing, audit log, alert sends",
     "CREATE TABLE users (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  email TEXT NOT NULL UNIQUE COLLATE NOCASE,\n"
     "  password_hash TEXT,                       -- crypto_pwhash_str (argon2id); NULL: links only\n"
     "  created_at INTEGER NOT NULL,\n"
     "  disabled_at INTEGER,                      -- set by `materia users disable`\n"
     "  plan TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro')),\n"
     "  stripe_customer_id TEXT UNIQUE\n"
     ");\n"
     "CREATE TABLE login_tokens (                 -- sign-in links and email-change confirmations\n"
     "  token_hash BLOB PRIMARY KEY,              -- SHA-256 of the token sent by mail\n"
     "  purpose TEXT NOT NULL CHECK (purpose IN ('signin', 'email_change')),\n"
     "  user_id INTEGER REFERENCES users(id) ON DELETE CASCADE, -- NULL: a sign-up link\n"
     "  email TEXT NOT NULL,                      -- the address the link was sent to\n"
     "  created_at INTEGER NOT NULL,\n"
     "  expires_at INTEGER NOT NULL,\n"
     "  used_at INTEGER                           -- single use\n"
     ");\n"
     "CREATE INDEX login_tokens_expiry ON login_tokens (expires_at);\n"
     "CREATE TABLE sessions (\n"
     "  token_hash BLOB PRIMARY KEY,              -- SHA-256 of the cookie's 256-bit token\n"
     "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
     "  csrf_token TEXT NOT NULL,                 -- sent with every form post of this session\n"
     "  created_at INTEGER NOT NULL,              -- absolute expiry counts from here\n"
     "  last_seen_at INTEGER NOT NULL,            -- idle expiry counts from here\n"
     "  ip TEXT,\n"
     "  user_agent TEXT\n"
     ");\n"
     "CREATE INDEX sessions_user ON sessions (user_id);\n"
     "CREATE TABLE preferences (\n"
     "  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,\n"
     "  units TEXT NOT NULL DEFAULT 'bags' CHECK (units IN ('bags', 'tonnes')),\n"
     "  default_country TEXT,                     -- USDA PSD country code, NULL: none\n"
     "  theme TEXT NOT NULL DEFAULT 'system' CHECK (theme IN ('system', 'light', 'dark'))\n"
     ");\n"
     "CREATE TABLE watchlist (\n"
     "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
     "  country TEXT NOT NULL,                    -- USDA PSD country code, or 'WORLD' (the sum)\n"
     "  metric TEXT NOT NULL,                     -- a serving.psd_revisions attribute (production, ...)\n"
     "  PRIMARY KEY (user_id, country, metric)\n"
     ");\n"
     "CREATE TABLE api_keys (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
     "  name TEXT NOT NULL,\n"
     "  prefix TEXT NOT NULL UNIQUE,              -- the key's first characters, shown in lists\n"
     "  key_hash BLOB NOT NULL UNIQUE,            -- SHA-256 of the whole key (shown once)\n"
     "  created_at INTEGER NOT NULL,\n"
     "  last_used_at INTEGER,\n"
     "  revoked_at INTEGER\n"
     ");\n"
     "CREATE INDEX api_keys_user ON api_keys (user_id);\n"
     "CREATE TABLE subscriptions (                -- the payment provider's view of a user's plan\n"
     "  user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,\n"
     "  stripe_subscription_id TEXT UNIQUE,\n"
     "  status TEXT NOT NULL,                     -- Stripe's: active, past_due, canceled, ...\n"
     "  plan TEXT NOT NULL CHECK (plan IN ('free', 'pro')),\n"
     "  current_period_end INTEGER,\n"
     "  event_created INTEGER NOT NULL            -- `created` of the event that set this row:\n"
     "                                            -- an older event arriving later is ignored\n"
     ");\n"
     "CREATE TABLE billing_events (               -- every webhook event applied, once\n"
     "  event_id TEXT PRIMARY KEY,                -- Stripe's evt_...: a replay is a no-op\n"
     "  type TEXT NOT NULL,\n"
     "  created INTEGER NOT NULL,\n"
     "  received_at INTEGER NOT NULL,\n"
     "  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL\n"
     ");\n"
     "CREATE TABLE audit_log (\n"
     "  id INTEGER PRIMARY KEY,\n"
     "  at INTEGER NOT NULL,\n"
     "  user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,\n"
     "  action TEXT NOT NULL,                     -- signin, signout, settings_change, key_create, ...\n"
     "  ip TEXT,\n"
     "  detail TEXT\n"
     ");\n"
     "CREATE INDEX audit_log_user ON audit_log (user_id, at);\n"
     "CREATE TABLE alert_sends (                  -- one digest per user per release, at most\n"
     "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,\n"
     "  release_key TEXT NOT NULL,                -- the PSD release it reports: <release_date>/<etag>\n"
     "  state TEXT NOT NULL CHECK (state IN ('sending', 'sent')),\n"
     "  started_at INTEGER NOT NULL,              -- recorded before the mail is handed to SMTP\n"
     "  sent_at INTEGER,\n"
     "  PRIMARY KEY (user_id, release_key)\n"
     ");\n"},
    /* Why this table is kept: deleting a paying user cancels their subscription, and Stripe
     * then keeps sending events about their customer (customer.subscription.deleted right
     * after the cancel, invoices...). Without a trace of the customer those find no user and
     * must be answered non-2xx (a customer not linked YET is real: its checkout event may
     * still be on its way), so Stripe would retry them for days. The id is pseudonymous
     * (Stripe's cus_..., no email, no name, no user id): with the scrubbed audit log, it is
     * the only thing kept of a deleted paying user. Written by users_delete, in its
     * transaction; removed when the same customer checks out again as a new user. */
    {2, "closed Stripe customers: the deleted users' customer ids, so Stripe's later events are acknowledged",
     "CREATE TABLE closed_customers (             -- Stripe customers whose user was deleted\n"
     "  stripe_customer_id TEXT PRIMARY KEY,      -- cus_...: nothing else of the user is kept\n"
     "  closed_at INTEGER NOT NULL                -- when the user was deleted\n"
     ");\n"},
};

const int appdb_migrations_n = (int)(sizeof appdb_migrations / sizeof appdb_migrations[0]);
