CREATE TABLE `allotments` (
	`member` text NOT NULL,
	`day` integer NOT NULL,
	`bytes` integer NOT NULL,
	PRIMARY KEY(`member`, `day`)
);
--> statement-breakpoint
CREATE TABLE `seniority` (
	`epoch` integer NOT NULL,
	`info_hash` text NOT NULL,
	`node` text NOT NULL,
	`since` integer NOT NULL,
	PRIMARY KEY(`epoch`, `info_hash`, `node`)
);
--> statement-breakpoint
CREATE TABLE `spent` (
	`epoch` integer NOT NULL,
	`account` text NOT NULL,
	`cumulative` text NOT NULL,
	`spent` text NOT NULL,
	PRIMARY KEY(`epoch`, `account`)
);
--> statement-breakpoint
CREATE INDEX `spent_account` ON `spent` (`account`);--> statement-breakpoint
ALTER TABLE `epochs` ADD `spent_root` text DEFAULT '0x0000000000000000000000000000000000000000000000000000000000000000' NOT NULL;--> statement-breakpoint
ALTER TABLE `epochs` ADD `total_spent` text DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE `nodes` ADD `lat` real;--> statement-breakpoint
ALTER TABLE `nodes` ADD `lon` real;--> statement-breakpoint
ALTER TABLE `nodes` ADD `colo` text;--> statement-breakpoint
ALTER TABLE `swarm_ledger` ADD `surge_sum` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `swarm_ledger` ADD `surge_windows` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `swarms` ADD `saturation_bps` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `swarms` ADD `surge_bps` integer DEFAULT 10000 NOT NULL;