-- Nodes are not members (issue 10, finding 1): a node's tracker key lives on `nodes` and covers
-- only its hosted and fetching torrents. Hand-written (other migrations are added in parallel).
ALTER TABLE `nodes` ADD `passkey` text;
--> statement-breakpoint
-- A node registered before this keeps the key it was given, moved off its member row...
UPDATE `nodes` SET `passkey` = (SELECT `passkey` FROM `members` WHERE `members`.`account` = `nodes`.`address` AND `members`.`admission` = 'node') WHERE `passkey` IS NULL;
--> statement-breakpoint
-- ...and a node whose operator is a member (stake or invite) gets a key of its own: the
-- member's passkey stays the member's.
UPDATE `nodes` SET `passkey` = lower(hex(randomblob(16))) WHERE `passkey` IS NULL;
--> statement-breakpoint
CREATE UNIQUE INDEX `nodes_passkey` ON `nodes` (`passkey`);
--> statement-breakpoint
CREATE INDEX `nodes_endpoint` ON `nodes` (`host`, `port`);
--> statement-breakpoint
-- What the open gate handed out goes: unused invites made by node keys, their sessions, and
-- the node-members themselves (an operator who also staked joins again).
DELETE FROM `invites` WHERE `used_by` IS NULL AND `created_by` IN (SELECT `account` FROM `members` WHERE `admission` = 'node');
--> statement-breakpoint
DELETE FROM `sessions` WHERE `account` IN (SELECT `account` FROM `members` WHERE `admission` = 'node');
--> statement-breakpoint
DELETE FROM `members` WHERE `admission` = 'node';
--> statement-breakpoint
CREATE TABLE `fetching` (
	`node` text NOT NULL,
	`info_hash` text NOT NULL,
	`reported_at` integer NOT NULL,
	PRIMARY KEY(`node`, `info_hash`)
);
