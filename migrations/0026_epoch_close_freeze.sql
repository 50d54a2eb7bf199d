-- The close's frozen set of challenges (worker/epoch/frozen.ts): recorded when a close starts,
-- so a close spanning several invocations reads, settles and publishes the same transcripts;
-- the chain reads it settles with (deposits, bounties), made once; and the hash of large inputs,
-- made in one tick and written under it in the next (files.ts).
CREATE TABLE `epoch_close_freeze` (
	`epoch` integer PRIMARY KEY NOT NULL,
	`challenge_cutoff` integer NOT NULL,
	`challenges` integer NOT NULL,
	`frozen_at` integer NOT NULL,
	`inputs_key` text,
	`inputs_hash` text,
	`chain_reads` text
);
--> statement-breakpoint
-- The published inputs list an epoch's challenges in (started_at, id) order, read page by page.
CREATE INDEX `challenges_epoch_started` ON `challenges` (`epoch`,`started_at`,`id`);
