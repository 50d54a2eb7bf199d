-- Admins suspend a node (no rounds, offers or hosting rewards while set); torrents.status gains "removed" (no schema change).
ALTER TABLE `nodes` ADD `suspended_at` integer;
--> statement-breakpoint
ALTER TABLE `nodes` ADD `suspended_reason` text;
