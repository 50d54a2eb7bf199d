-- The chain reads a close keeps across its ticks (worker/epoch/frozen.ts frozenRead), in parts
-- under D1's 2 MB a value: one JSON text in epoch_close_freeze.chain_reads passed it at about
-- 25,000 paying members and wedged the close. Each part is a JSON array of [key, decimal] entries.
CREATE TABLE `epoch_close_reads` (
	`epoch` integer NOT NULL,
	`name` text NOT NULL,
	`part` integer NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`epoch`, `name`, `part`)
);
--> statement-breakpoint
-- A close in progress keeps what it read: each read of the old column ({name: entries}) is part 0
-- (a value D1 stored is under 2 MB, so one part holds it). The column is left, unused.
INSERT INTO `epoch_close_reads` (`epoch`, `name`, `part`, `data`)
	SELECT f.`epoch`, r.`key`, 0, r.`value` FROM `epoch_close_freeze` f, json_each(f.`chain_reads`) r
	WHERE f.`chain_reads` IS NOT NULL AND r.`type` = 'array';
--> statement-breakpoint
UPDATE `epoch_close_freeze` SET `chain_reads` = NULL;
