-- Chained challenges with the node's signed answer (issue 12): the edge's nonce per challenge
-- and the node's EIP-712 ChallengeAnswer signature, without which a pass does not count.
ALTER TABLE `challenges` ADD `nonce` text DEFAULT '0x0000000000000000000000000000000000000000000000000000000000000000' NOT NULL;
--> statement-breakpoint
ALTER TABLE `challenges` ADD `answered_at` integer;
--> statement-breakpoint
ALTER TABLE `challenges` ADD `node_signature` text;
