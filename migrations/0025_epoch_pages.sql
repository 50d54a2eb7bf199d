-- The paged close (worker/epoch/pages.ts) reads an epoch's challenges a range of info hashes at
-- a time, once per sweep: each read walks this index, never the epoch's other torrents.
CREATE INDEX `challenges_epoch_torrent` ON `challenges` (`epoch`,`info_hash`);
--> statement-breakpoint
-- The paged close's scratch: each page's result of each sweep, so a close that dies between
-- pages resumes at the page it was on (worker/epoch/pages.ts); rows of other inputs (another
-- fingerprint) are never read.
CREATE TABLE `epoch_settle_pages` (
	`epoch` integer NOT NULL,
	`sweep` text NOT NULL,
	`page` integer NOT NULL,
	`part` integer NOT NULL,
	`fingerprint` text NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`epoch`, `sweep`, `page`, `part`)
);
