-- The crash-safe epoch writer (worker/epoch/writer.ts, docs/runbook.md): an epoch's row is
-- stored when it is settled and walks settled -> published -> sent -> mined -> final (or
-- halted); rows closed before this migration were posted and stored in one step: final.
ALTER TABLE `epochs` ADD `state` text DEFAULT 'final' NOT NULL;--> statement-breakpoint
ALTER TABLE `epochs` ADD `mined_block` integer;--> statement-breakpoint
ALTER TABLE `epochs` ADD `halt_reason` text;--> statement-breakpoint
ALTER TABLE `epochs` ADD `bounty_draws` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
-- Every postRoot transaction signed for an epoch, recorded before it is broadcast; a
-- replacement (higher fee) is a new attempt on the same nonce.
CREATE TABLE `epoch_posts` (
	`epoch` integer NOT NULL,
	`attempt` integer NOT NULL,
	`nonce` integer NOT NULL,
	`tx_hash` text NOT NULL,
	`raw_tx` text NOT NULL,
	`max_fee_per_gas` text NOT NULL,
	`max_priority_fee_per_gas` text NOT NULL,
	`sent_at` integer NOT NULL,
	PRIMARY KEY(`epoch`, `attempt`)
);
--> statement-breakpoint
-- Failures of the epoch writer by code (chain unreachable, chain id mismatch, bad root...):
-- monotonic counts for /metrics and the last message (URLs stripped) for the operator.
CREATE TABLE `close_errors` (
	`code` text PRIMARY KEY NOT NULL,
	`count` integer NOT NULL,
	`epoch` integer,
	`message` text NOT NULL,
	`at` integer NOT NULL
);
