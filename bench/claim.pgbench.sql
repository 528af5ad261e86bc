-- The claim transaction exactly as the service runs it on PostgreSQL (statement for
-- statement, as PostgreSQL's log_statement shows for POST /api/v1/needs/{id}/claims),
-- for pgbench. Variables: m_lo/m_hi (merchant ids), t_lo (token id of merchant m_lo),
-- n_lo/n_hi (need ids). The token lookup by a unique index precedes it, as in the service.
-- pgbench reads ":word" as a variable even inside quotes, so dedupe keys use "/" where
-- the service writes ":", and JSON has a space after each colon: same sizes, same work.
\set m random(:m_lo, :m_hi)
\set n random(:n_lo, :n_hi)
\set t :t_lo + :m - :m_lo
SELECT * FROM api_tokens WHERE id = :t AND revoked_at IS NULL LIMIT 1;
BEGIN;
SELECT pg_advisory_xact_lock(:m);
SELECT * FROM merchants WHERE id = :m LIMIT 1;
SELECT COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL AND status IN ('delivered','confirmed') AND delivered_at <= due_at THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL AND status IN ('delivered','confirmed') AND delivered_at > due_at THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN status = 'lapsed' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN status = 'lapsed' AND ended_at >= now() - interval '90 days' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN rating IS NOT NULL THEN rating ELSE 0 END), 0), COALESCE(SUM(CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN status IN ('active','disputed') THEN 1 ELSE 0 END), 0) FROM claims WHERE merchant_id = :m;
SELECT status FROM claims WHERE merchant_id = :m AND status IN ('lapsed','delivered','confirmed') ORDER BY updated_at DESC, id DESC LIMIT 2;
UPDATE needs SET claimed = claimed + 1, status = (CASE WHEN (claimed + 1 = quantity) THEN 'fully_claimed' ELSE status END), version = version + 1, updated_at = now() WHERE id = :n AND status = 'open' AND quantity - claimed >= 1;
SELECT *, beneficiary_id AS b, posted_by AS p FROM needs WHERE id = :n LIMIT 1 \gset
INSERT INTO claims (need_id, merchant_id, quantity, status, handoff_code, idempotency_key, due_at, remind_at, reminded_at, delivered_at, confirmed_at, ended_at, rating, version, created_at, updated_at) VALUES (:n, :m, 1, 'active', upper(substr(md5(random()::text), 1, 6)), NULL, now() + interval '7 days', now() + interval '3 days', NULL, NULL, NULL, NULL, NULL, 0, now(), now()) RETURNING id AS c \gset
INSERT INTO audit_log (at, actor_kind, actor_id, organization_id, action, subject_kind, subject_id, outcome, detail, request_id) VALUES (now(), 'api_token', :t, 1, 'claim.create', 'claim', :c, 'ok', '{"need_id":' || :n::text || ',"quantity": 1}', NULL) RETURNING *;
INSERT INTO outbox (channel, recipient, contact_id, merchant_id, kind, locale, payload, dedupe_key, message_id, status, attempts, next_attempt_at, locked_until, last_error, created_at, sent_at) VALUES ('telegram', :m, NULL, :m, 'merchant-claim-confirmed', 'zh-CN', '{"claim_id":' || :c::text || ',"drop_off": null,"due_date":"2026-12-06","handoff_code":"MMCDAQ","need_id":' || :n::text || ',"quantity": 1,"title":"food for a family","unit":"unit"}', 'claim/' || :c::text || '/merchant-claimed', '<' || :c::text || '.m.' || md5(random()::text) || '@charity-relay>', 'pending', 0, now(), NULL, NULL, now(), NULL) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id;
SELECT *, contact_id AS k FROM beneficiaries WHERE id = :b LIMIT 1 \gset
SELECT * FROM contacts WHERE id = :k LIMIT 1;
SELECT * FROM staff WHERE id = :p LIMIT 1;
INSERT INTO outbox (channel, recipient, contact_id, merchant_id, kind, locale, payload, dedupe_key, message_id, status, attempts, next_attempt_at, locked_until, last_error, created_at, sent_at) VALUES ('email', 'resident@bench.invalid', :k, NULL, 'resident-need-claimed', 'zh-CN', '{"claim_id":' || :c::text || ',"expected_date":"2026-12-06","merchant_name":"Bench merchant","need_id":' || :n::text || ',"quantity": 1,"title":"food for a family","unit":"unit"}', 'claim/' || :c::text || '/resident-claimed', '<' || :c::text || '.r.' || md5(random()::text) || '@charity-relay>', 'pending', 0, now(), NULL, NULL, now(), NULL) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id;
INSERT INTO outbox (channel, recipient, contact_id, merchant_id, kind, locale, payload, dedupe_key, message_id, status, attempts, next_attempt_at, locked_until, last_error, created_at, sent_at) VALUES ('email', 'worker@bench.invalid', NULL, NULL, 'worker-need-claimed', 'zh-CN', '{"claim_id":' || :c::text || ',"expected_date":"2026-12-06","merchant_name":"Bench merchant","need_id":' || :n::text || ',"quantity": 1,"title":"food for a family","unit":"unit"}', 'claim/' || :c::text || '/worker-claimed', '<' || :c::text || '.w.' || md5(random()::text) || '@charity-relay>', 'pending', 0, now(), NULL, NULL, now(), NULL) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id;
COMMIT;
