CREATE TABLE `disputes` (
	`id` text PRIMARY KEY NOT NULL,
	`epoch` integer NOT NULL,
	`node` text NOT NULL,
	`transcript_id` text NOT NULL,
	`reason` text NOT NULL,
	`nonce` text NOT NULL,
	`expiry` text NOT NULL,
	`signature` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `disputes_epoch` ON `disputes` (`epoch`);--> statement-breakpoint
CREATE TABLE `epoch_seeds` (
	`epoch` integer PRIMARY KEY NOT NULL,
	`seed` text NOT NULL,
	`commitment` text NOT NULL,
	`opened_at` integer NOT NULL,
	`schedule` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `faults` (
	`epoch` integer NOT NULL,
	`node` text NOT NULL,
	`streak` integer NOT NULL,
	`penalty` text,
	PRIMARY KEY(`epoch`, `node`)
);
--> statement-breakpoint
CREATE TABLE `root_reports` (
	`info_hash` text NOT NULL,
	`node` text NOT NULL,
	`root` text NOT NULL,
	`subnet` text NOT NULL,
	`reported_at` integer NOT NULL,
	PRIMARY KEY(`info_hash`, `node`)
);
--> statement-breakpoint
CREATE TABLE `slashed` (
	`epoch` integer NOT NULL,
	`account` text NOT NULL,
	`cumulative` text NOT NULL,
	`slashed` text NOT NULL,
	PRIMARY KEY(`epoch`, `account`)
);
--> statement-breakpoint
CREATE INDEX `slashed_account` ON `slashed` (`account`);--> statement-breakpoint
ALTER TABLE `challenges` ADD `round` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `challenges` ADD `block_number` integer;--> statement-breakpoint
ALTER TABLE `challenges` ADD `block_hash` text DEFAULT '0x0000000000000000000000000000000000000000000000000000000000000000' NOT NULL;--> statement-breakpoint
ALTER TABLE `challenges` ADD `hosted_hash` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `challenges` ADD `file` integer;--> statement-breakpoint
ALTER TABLE `challenges` ADD `root` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `challenges` ADD `tree_length` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `challenges` ADD `offset` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `challenges` ADD `proof_hash` text;--> statement-breakpoint
ALTER TABLE `challenges` ADD `tries` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `challenges` ADD `signer` text;--> statement-breakpoint
ALTER TABLE `challenges` ADD `signature` text;--> statement-breakpoint
ALTER TABLE `epochs` ADD `slashed_root` text DEFAULT '0x0000000000000000000000000000000000000000000000000000000000000000' NOT NULL;--> statement-breakpoint
ALTER TABLE `epochs` ADD `total_slashed` text DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE `epochs` ADD `seed_commitment` text;--> statement-breakpoint
ALTER TABLE `torrents` ADD `version` text DEFAULT 'v1' NOT NULL;--> statement-breakpoint
ALTER TABLE `torrents` ADD `v2_files` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `torrents` ADD `root_status` text DEFAULT 'published' NOT NULL;--> statement-breakpoint
ALTER TABLE `torrents` ADD `root_confirmed_at` integer;