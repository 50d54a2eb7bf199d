-- Escrow settlements as recorded writer steps (worker/chain/escrow.ts): each signed settle
-- transaction stored before it is broadcast, followed, replaced on its nonce when stuck.
CREATE TABLE `escrow_settlements` (
	`epoch` integer NOT NULL,
	`account` text NOT NULL,
	`attempt` integer NOT NULL,
	`cumulative` text NOT NULL,
	`nonce` integer NOT NULL,
	`tx_hash` text NOT NULL,
	`raw_tx` text NOT NULL,
	`max_fee_per_gas` text NOT NULL,
	`sent_at` integer NOT NULL,
	`state` text NOT NULL,
	PRIMARY KEY(`epoch`, `account`, `attempt`)
);--> statement-breakpoint
CREATE INDEX `escrow_settlements_state` ON `escrow_settlements` (`state`);
