-- The journeys consumer of the change feed starts where the feed is now: journeys published
-- before the runtime existed do not enroll people for events stored before it ran.
INSERT INTO "feed_cursors" ("consumer", "xid", "position")
SELECT 'journeys', COALESCE(last.xid, '0'::xid8), COALESCE(last.id, 0)
  FROM (SELECT NULL) AS one
  LEFT JOIN LATERAL (SELECT xid, id FROM "change_feed" ORDER BY xid DESC, id DESC LIMIT 1) AS last ON true
ON CONFLICT ("consumer") DO NOTHING;
