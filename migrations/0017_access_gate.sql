-- The dynamic gate (protocol/economics/gate.ts): each swarm's load over an epoch (Σ of its surge
-- windows' 15-minute demand and capacity forecasts, bytes), and at each close the network's
-- saturation and the gate multiplier it set for the next epoch (basis points).
ALTER TABLE `swarm_ledger` ADD `demand_sum` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `swarm_ledger` ADD `capacity_sum` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `epochs` ADD `saturation_bps` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `epochs` ADD `gate_bps` integer DEFAULT 10000 NOT NULL;
