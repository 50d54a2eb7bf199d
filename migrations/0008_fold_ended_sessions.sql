-- Peer-id churn (issue 10): sessions unseen for twice the announce interval (PEER_TTL_MS, 3,600 s)
-- have ended; their accounting rows are folded into the member's ended-sessions row of the
-- torrent (peer_id '', worker/swarm/flush.ts ENDED_SESSIONS), as the shards now do for every
-- session that ends. One cutoff for both statements, so no row is deleted without being folded.
CREATE TABLE `_fold_cutoff` AS SELECT CAST(strftime('%s', 'now') AS INTEGER) * 1000 - 3600000 AS `t`;
--> statement-breakpoint
INSERT INTO `accounting` (`member`, `info_hash`, `peer_id`, `uploaded`, `downloaded`, `credited_uploaded`, `credited_downloaded`, `seed_seconds`, `announces`, `last_announce_at`, `completed_at`)
SELECT `member`, `info_hash`, '', sum(`uploaded`), sum(`downloaded`), sum(`credited_uploaded`), sum(`credited_downloaded`), sum(`seed_seconds`), sum(`announces`), max(`last_announce_at`), min(`completed_at`)
FROM `accounting` WHERE `peer_id` <> '' AND `last_announce_at` < (SELECT `t` FROM `_fold_cutoff`) GROUP BY `member`, `info_hash`
ON CONFLICT (`member`, `info_hash`, `peer_id`) DO UPDATE SET `uploaded` = `uploaded` + excluded.`uploaded`, `downloaded` = `downloaded` + excluded.`downloaded`,
  `credited_uploaded` = `credited_uploaded` + excluded.`credited_uploaded`, `credited_downloaded` = `credited_downloaded` + excluded.`credited_downloaded`,
  `seed_seconds` = `seed_seconds` + excluded.`seed_seconds`, `announces` = `announces` + excluded.`announces`,
  `last_announce_at` = max(`last_announce_at`, excluded.`last_announce_at`), `completed_at` = coalesce(`completed_at`, excluded.`completed_at`);
--> statement-breakpoint
DELETE FROM `accounting` WHERE `peer_id` <> '' AND `last_announce_at` < (SELECT `t` FROM `_fold_cutoff`);
--> statement-breakpoint
DROP TABLE `_fold_cutoff`;
