CREATE TABLE `accounting` (
	`member` text NOT NULL,
	`info_hash` text NOT NULL,
	`peer_id` text NOT NULL,
	`uploaded` integer DEFAULT 0 NOT NULL,
	`downloaded` integer DEFAULT 0 NOT NULL,
	`seed_seconds` integer DEFAULT 0 NOT NULL,
	`announces` integer DEFAULT 0 NOT NULL,
	`last_announce_at` integer NOT NULL,
	PRIMARY KEY(`member`, `info_hash`, `peer_id`)
);
--> statement-breakpoint
CREATE INDEX `accounting_info_hash` ON `accounting` (`info_hash`);--> statement-breakpoint
CREATE TABLE `challenges` (
	`id` text PRIMARY KEY NOT NULL,
	`epoch` integer NOT NULL,
	`node` text NOT NULL,
	`info_hash` text NOT NULL,
	`host` text NOT NULL,
	`port` integer NOT NULL,
	`blocks` text NOT NULL,
	`started_at` integer NOT NULL,
	`duration_ms` integer NOT NULL,
	`verdict` text NOT NULL,
	`reason` text NOT NULL,
	`block_hashes` text NOT NULL,
	`attempts` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `challenges_epoch` ON `challenges` (`epoch`,`node`);--> statement-breakpoint
CREATE TABLE `epochs` (
	`epoch` integer PRIMARY KEY NOT NULL,
	`root` text NOT NULL,
	`inputs_hash` text NOT NULL,
	`inputs` text NOT NULL,
	`total_earned` text NOT NULL,
	`leaf_count` integer NOT NULL,
	`tx_hash` text,
	`closed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `hosted` (
	`node` text NOT NULL,
	`info_hash` text NOT NULL,
	`added_at` integer NOT NULL,
	PRIMARY KEY(`node`, `info_hash`)
);
--> statement-breakpoint
CREATE TABLE `invites` (
	`code` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL,
	`used_by` text,
	`used_at` integer
);
--> statement-breakpoint
CREATE TABLE `leaves` (
	`epoch` integer NOT NULL,
	`account` text NOT NULL,
	`cumulative` text NOT NULL,
	`earned` text NOT NULL,
	PRIMARY KEY(`epoch`, `account`)
);
--> statement-breakpoint
CREATE INDEX `leaves_account` ON `leaves` (`account`);--> statement-breakpoint
CREATE TABLE `members` (
	`account` text PRIMARY KEY NOT NULL,
	`passkey` text NOT NULL,
	`admission` text NOT NULL,
	`invited_by` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `members_passkey_unique` ON `members` (`passkey`);--> statement-breakpoint
CREATE TABLE `nodes` (
	`address` text PRIMARY KEY NOT NULL,
	`host` text NOT NULL,
	`port` integer NOT NULL,
	`registered_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `report_nonces` (
	`signer` text NOT NULL,
	`type` text NOT NULL,
	`nonce` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`signer`, `type`)
);
--> statement-breakpoint
CREATE TABLE `torrents` (
	`info_hash` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`length` integer NOT NULL,
	`piece_length` integer NOT NULL,
	`files` text NOT NULL,
	`storage_root` text NOT NULL,
	`metainfo` blob NOT NULL,
	`created_at` integer NOT NULL
);
