-- A node's last reachability check (POST /api/nodes/check): when, the dial's verdict and reason.
-- checked_at also rate-limits the check per node (NODE_CHECK_INTERVAL_SECONDS).
ALTER TABLE `nodes` ADD `checked_at` integer;
--> statement-breakpoint
ALTER TABLE `nodes` ADD `check_verdict` text;
--> statement-breakpoint
ALTER TABLE `nodes` ADD `check_reason` text;
