-- Settlement state carried from epoch to epoch (protocol/epoch/replica-faults.ts, vetting.ts): each replica's fault streak and each node's passed audits.
CREATE TABLE `replica_faults` (
	`epoch` integer NOT NULL,
	`node` text NOT NULL,
	`info_hash` text NOT NULL,
	`streak` integer NOT NULL,
	PRIMARY KEY(`epoch`, `node`, `info_hash`)
);
--> statement-breakpoint
CREATE TABLE `vetting` (
	`epoch` integer NOT NULL,
	`node` text NOT NULL,
	`audits` integer NOT NULL,
	PRIMARY KEY(`epoch`, `node`)
);
