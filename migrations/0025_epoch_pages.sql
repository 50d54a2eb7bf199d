-- The paged close (worker/epoch/pages.ts) reads an epoch's challenges a range of info hashes at
-- a time, once per sweep: each read walks this index, never the epoch's other torrents.
CREATE INDEX `challenges_epoch_torrent` ON `challenges` (`epoch`,`info_hash`);
