-- The close's frozen set of challenges (worker/epoch/frozen.ts): recorded when a close starts,
-- so a close spanning several invocations reads, settles and publishes the same transcripts.
CREATE TABLE `epoch_close_freeze` (
	`epoch` integer PRIMARY KEY NOT NULL,
	`challenge_cutoff` integer NOT NULL,
	`challenges` integer NOT NULL,
	`frozen_at` integer NOT NULL
);
--> statement-breakpoint
-- The published inputs list an epoch's challenges in (started_at, id) order, read page by page.
CREATE INDEX `challenges_epoch_started` ON `challenges` (`epoch`,`started_at`,`id`);
