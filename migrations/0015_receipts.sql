-- Upload receipts (worker/receipts/routes.ts): per epoch, the highest cumulative bytes a
-- downloader signed per (uploader, torrent, session); published with the epoch's inputs.
CREATE TABLE `receipts` (
	`epoch` integer NOT NULL,
	`downloader` text NOT NULL,
	`uploader` text NOT NULL,
	`info_hash` text NOT NULL,
	`session` text NOT NULL,
	`cumulative` integer NOT NULL,
	`base` integer NOT NULL,
	`signature` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`epoch`, `downloader`, `uploader`, `info_hash`, `session`)
);--> statement-breakpoint
CREATE INDEX `receipts_session` ON `receipts` (`downloader`,`uploader`,`info_hash`,`session`);
