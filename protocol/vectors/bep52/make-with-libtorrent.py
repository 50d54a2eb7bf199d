# Regenerates hybrid.torrent and v2.torrent with libtorrent (apt: python3-libtorrent), the
# reference BEP 52 implementation; protocol/tests/torrent-v2.test.ts checks our parser against them.
import libtorrent as lt, json, hashlib
def gen(n, seed):
    return bytes(((i*31 + seed*7 + (i>>9)) & 0xff) for i in range(n))
open('hybrid-set/disc/track01.bin','wb').write(gen(5*16384+1234, 1))
open('hybrid-set/readme.txt','wb').write(gen(20000, 2))
out = {}
for name, flags in [("hybrid", 0), ("v2", lt.create_torrent.v2_only)]:
    fs = lt.file_storage()
    lt.add_files(fs, 'hybrid-set')
    t = lt.create_torrent(fs, 32768, flags=flags)
    t.set_priv(True)
    t.add_tracker('http://tracker.invalid/announce')
    t.set_creator('libtorrent ' + lt.__version__)
    lt.set_piece_hashes(t, '.')
    e = t.generate()
    e.pop(b'creation date', None)
    b = lt.bencode(e)
    open(name + '.torrent', 'wb').write(b)
    ti = lt.torrent_info(b)
    ih = ti.info_hashes()
    out[name] = {"v1": str(ih.v1) if ih.has_v1() else None, "v2": str(ih.v2) if ih.has_v2() else None}
print(json.dumps(out), lt.__version__)
