CREATE TABLE `client_rules` (
	`prefix` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`allowed` integer NOT NULL,
	`warning` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `flushes` (
	`shard` integer NOT NULL,
	`seq` integer NOT NULL,
	`flushed_at` integer NOT NULL,
	PRIMARY KEY(`shard`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `ledger` (
	`epoch` integer NOT NULL,
	`member` text NOT NULL,
	`info_hash` text NOT NULL,
	`uploaded` integer DEFAULT 0 NOT NULL,
	`downloaded` integer DEFAULT 0 NOT NULL,
	`credited_uploaded` integer DEFAULT 0 NOT NULL,
	`credited_downloaded` integer DEFAULT 0 NOT NULL,
	`seed_seconds` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`epoch`, `member`, `info_hash`)
);
--> statement-breakpoint
CREATE TABLE `ledger_seals` (
	`epoch` integer PRIMARY KEY NOT NULL,
	`sealed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `swarm_ledger` (
	`epoch` integer NOT NULL,
	`info_hash` text NOT NULL,
	`uploaded` integer DEFAULT 0 NOT NULL,
	`downloaded` integer DEFAULT 0 NOT NULL,
	`credited_uploaded` integer DEFAULT 0 NOT NULL,
	`credited_downloaded` integer DEFAULT 0 NOT NULL,
	`announces` integer DEFAULT 0 NOT NULL,
	`snatches` integer DEFAULT 0 NOT NULL,
	`seeders` integer DEFAULT 0 NOT NULL,
	`leechers` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`epoch`, `info_hash`)
);
--> statement-breakpoint
CREATE TABLE `swarms` (
	`info_hash` text PRIMARY KEY NOT NULL,
	`seeders` integer NOT NULL,
	`leechers` integer NOT NULL,
	`partial_seeds` integer DEFAULT 0 NOT NULL,
	`snatches` integer DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `swarms_seeders` ON `swarms` (`seeders`);--> statement-breakpoint
ALTER TABLE `accounting` ADD `credited_uploaded` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `accounting` ADD `credited_downloaded` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `accounting` ADD `completed_at` integer;--> statement-breakpoint
ALTER TABLE `invites` ADD `created_by` text;--> statement-breakpoint
CREATE INDEX `invites_created_by` ON `invites` (`created_by`);--> statement-breakpoint
ALTER TABLE `members` ADD `inviter` text;--> statement-breakpoint
ALTER TABLE `members` ADD `invite_quota` integer DEFAULT 2 NOT NULL;--> statement-breakpoint
ALTER TABLE `members` ADD `slowed` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `members` ADD `passkey_reset_at` integer;--> statement-breakpoint
ALTER TABLE `torrents` ADD `status` text DEFAULT 'approved' NOT NULL;--> statement-breakpoint
ALTER TABLE `torrents` ADD `uploaded_by` text;--> statement-breakpoint
ALTER TABLE `torrents` ADD `moderated_at` integer;--> statement-breakpoint
ALTER TABLE `torrents` ADD `freeleech` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `torrents` ADD `neutral` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `torrents` ADD `double_upload` integer DEFAULT false NOT NULL;