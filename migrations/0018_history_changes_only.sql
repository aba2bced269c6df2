-- The history lists changes only: an update that repeats the value in effect (a monitor confirming
-- "in_progress", progress 40 again) stays in the timeline but is no row of the history, whose
-- `from` and `to` would be equal. Same columns as 0001's view, so its readers are unchanged; the
-- filter sits outside the window, so `from` still follows the effective order of every update.
CREATE OR REPLACE VIEW recommendation_history AS
SELECT h.*
  FROM (WITH changes AS (
            SELECT u.recommendation_id, u.id AS update_id, u.created_at AS at,
                   u.occurred_on AS effective_on, u.source, u.author_id, u.author_name,
                   u.author_role, f.field, f.value
              FROM updates u
             CROSS JOIN LATERAL (VALUES
                   ('status', CASE WHEN u.source <> 'agency' THEN to_jsonb(u.status) END),
                   ('agency_status', CASE WHEN u.source = 'agency' THEN to_jsonb(u.status) END),
                   ('progress', to_jsonb(u.progress)),
                   ('response', to_jsonb(u.response))) AS f(field, value)
             WHERE f.value IS NOT NULL AND f.value <> 'null'::jsonb
        )
        SELECT c.*,
               coalesce(lag(c.value) OVER w,
                        CASE c.field WHEN 'status' THEN '"not_assessed"'::jsonb
                                     WHEN 'response' THEN '"pending"'::jsonb
                                     ELSE 'null'::jsonb END) AS from_value
          FROM changes c
        WINDOW w AS (PARTITION BY c.recommendation_id, c.field
                     ORDER BY c.effective_on, c.at, c.update_id)) h
 WHERE h.from_value IS DISTINCT FROM h.value;
