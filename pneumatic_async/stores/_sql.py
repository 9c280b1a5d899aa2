"""The PostgreSQL store's statements (``{p}`` is the table prefix)."""

from __future__ import annotations

from typing import Final

SCHEMA: Final = """
SELECT pg_advisory_xact_lock(7401993211);
CREATE TABLE IF NOT EXISTS {p}keys (
    key text PRIMARY KEY,
    owner text,
    lease_until timestamptz,
    claims integer NOT NULL DEFAULT 0,
    result text
);
CREATE TABLE IF NOT EXISTS {p}batches (
    batch_id text PRIMARY KEY,
    binding text NOT NULL,
    run_id text NOT NULL,
    item_count integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS {p}batch_items (
    batch_id text NOT NULL REFERENCES {p}batches ON DELETE CASCADE,
    idx integer NOT NULL,
    state text NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0,
    workflow_id bigint,
    error text,
    owner text,
    lease_until timestamptz,
    PRIMARY KEY (batch_id, idx)
);
CREATE INDEX IF NOT EXISTS {p}batch_items_open ON {p}batch_items (batch_id, idx)
    WHERE state IN ('pending', 'in_flight');
"""

CLAIM_KEY: Final = """
INSERT INTO {p}keys AS k (key, owner, lease_until, claims)
VALUES (%(key)s, %(owner)s, now() + %(lease)s * interval '1 second', 1)
ON CONFLICT (key) DO UPDATE
    SET owner = EXCLUDED.owner, lease_until = EXCLUDED.lease_until, claims = k.claims + 1
    WHERE k.result IS NULL
      AND (k.owner IS NULL OR k.owner = EXCLUDED.owner OR k.lease_until <= now())
RETURNING k.claims - 1
"""

KEY_STATE: Final = """
SELECT result, GREATEST(EXTRACT(EPOCH FROM lease_until - now()), 0)::float8
FROM {p}keys WHERE key = %(key)s
"""

COMPLETE_KEY: Final = """
INSERT INTO {p}keys AS k (key, result, claims) VALUES (%(key)s, %(result)s, 1)
ON CONFLICT (key) DO UPDATE
    SET result = COALESCE(k.result, EXCLUDED.result), owner = NULL, lease_until = NULL
"""

RELEASE_KEY: Final = """
UPDATE {p}keys SET owner = NULL, lease_until = NULL
WHERE key = %(key)s AND owner = %(owner)s AND result IS NULL
"""

OPEN_BATCH: Final = """
WITH b AS (
    INSERT INTO {p}batches (batch_id, binding, run_id, item_count)
    VALUES (%(batch)s, %(binding)s, %(run_id)s, %(count)s)
    ON CONFLICT (batch_id) DO NOTHING
    RETURNING batch_id, item_count
), i AS (
    INSERT INTO {p}batch_items (batch_id, idx)
    SELECT b.batch_id, g FROM b, generate_series(0, b.item_count - 1) AS g
)
SELECT count(*) FROM b
"""

BATCH: Final = "SELECT binding, run_id FROM {p}batches WHERE batch_id = %(batch)s"

CLAIM_ITEMS: Final = """
UPDATE {p}batch_items AS i
SET owner = %(owner)s, lease_until = now() + %(lease)s * interval '1 second'
FROM (
    SELECT idx FROM {p}batch_items
    WHERE batch_id = %(batch)s AND state IN ('pending', 'in_flight')
      AND (owner IS NULL OR lease_until <= now())
    ORDER BY idx LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
) AS c
WHERE i.batch_id = %(batch)s AND i.idx = c.idx
RETURNING i.idx, i.attempts
"""

RECORD_ITEMS: Final = """
UPDATE {p}batch_items AS i
SET state = u.state,
    attempts = COALESCE(u.attempts, i.attempts),
    workflow_id = u.workflow_id,
    error = u.error,
    owner = CASE WHEN u.state IN ('launched', 'failed') THEN NULL ELSE i.owner END,
    lease_until = CASE WHEN u.state IN ('launched', 'failed') THEN NULL ELSE i.lease_until END
FROM unnest(%(idx)s::integer[], %(state)s::text[], %(attempts)s::integer[],
            %(workflow_id)s::bigint[], %(error)s::text[])
    AS u(idx, state, attempts, workflow_id, error)
WHERE i.batch_id = %(batch)s AND i.idx = u.idx AND (
    (u.state = 'launched' AND i.state <> 'launched')
    OR (u.state = 'failed' AND i.owner = %(owner)s AND i.state IN ('pending', 'in_flight'))
    OR (u.state = 'in_flight' AND i.owner = %(owner)s AND i.lease_until > now()
        AND i.state IN ('pending', 'in_flight'))
)
RETURNING i.idx
"""

RENEW_ITEMS: Final = """
UPDATE {p}batch_items SET lease_until = now() + %(lease)s * interval '1 second'
WHERE batch_id = %(batch)s AND idx = ANY(%(idx)s::integer[]) AND owner = %(owner)s
  AND lease_until > now() AND state IN ('pending', 'in_flight')
RETURNING idx
"""

RELEASE_ITEMS: Final = """
UPDATE {p}batch_items SET owner = NULL, lease_until = NULL
WHERE batch_id = %(batch)s AND idx = ANY(%(idx)s::integer[]) AND owner = %(owner)s
  AND state IN ('pending', 'in_flight')
"""

BATCH_ITEMS: Final = """
SELECT idx, state, attempts, workflow_id, error FROM {p}batch_items
WHERE batch_id = %(batch)s ORDER BY idx
"""
